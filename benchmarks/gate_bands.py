"""What the fast network does and what each part of the sharp-input gate lets through, per band
of input PSNR, on a folder of blur/ + sharp/ pairs (torch, CPU): the network with only the
low-frequency guard, then with the gate's blur evidence only, its smoothing check only, and
both (as deployed). BENCHMARKS.md, "What the network does, and what the gate lets through".

    DEBLUR_WEIGHTS_DIR=... .venv/bin/python benchmarks/gate_bands.py PAIRS_DIR [MODEL]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

import models
from engine.measure.evaluation import describe_severity, gain_by_severity, psnr
from models.frame_adapter import FrameAdapter
from models.sharp_gate import SharpInputGate
from models.training.data import find_pairs, load_rgb


class _Passes(nn.Module):
    def forward(self, output, source):
        return output


class _EvidenceOnly(SharpInputGate):
    def forward(self, output, source):
        return source + self.weight(source) * (output - source)


class _SmoothingOnly(SharpInputGate):
    def forward(self, output, source):
        return source + self.sharpening(output, source) * (output - source)


def main(pairs_dir: str, model: str = "fast") -> None:
    loaded = models.load(model)
    spec = loaded.entry.spec
    pairs = [(load_rgb(b), load_rgb(s)) for b, s in find_pairs(Path(pairs_dir))]
    gates = {"network + low-frequency guard": _Passes(),
             "+ blur evidence only": _EvidenceOnly(spec.input_range),
             "+ smoothing check only": _SmoothingOnly(spec.input_range),
             "as deployed": SharpInputGate(spec.input_range)}
    for name, gate in gates.items():
        adapter = FrameAdapter(loaded.module, spec).eval()
        adapter.gate = gate
        scores = []
        for blurred, sharp in pairs:
            with torch.no_grad():
                restored = adapter(torch.from_numpy(blurred)[None])[0].numpy()
            scores.append((psnr(sharp, blurred), psnr(sharp, restored)))
        gains = np.array([out - src for src, out in scores])
        print(f"{name}: mean {gains.mean():+.2f}, worst {gains.min():+.2f} dB; "
              f"{describe_severity(gain_by_severity(scores))}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
