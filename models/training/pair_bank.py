"""A bank of synthesised (blurred, sharp) pairs, reused many times: synthesis costs about as
much as a `fast` step on a CPU, so each pair is made once, kept as uint8 and drawn again with
a random crop, flips and 90-degree turns (a turned blurred pair is still a valid pair: its blur
turned with it). A slice of the bank is re-synthesised every `refresh_every` draws, so the
content keeps changing over a long run. The bank is saved to a cache file outside the repo
and loaded again on resume, only if it was made the same way (`key`: the synthesis settings
and sizes); a bank of other settings is made afresh."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from common.atomic import atomic_output

MakePairs = Callable[[], tuple[torch.Tensor, torch.Tensor]]   # B x 3 x S x S each, [0, 1]


def _to_bytes(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).cpu()


class PairBank:
    def __init__(self, make_pairs: MakePairs, size: int, crop: int, seed: int = 0,
                 refresh_every: int = 8, cache: Path | None = None, key: str = "",
                 log=print):
        self.make_pairs, self.size, self.crop, self.key = make_pairs, size, crop, key
        self.refresh_every, self.cache = refresh_every, cache
        self.rng = np.random.default_rng(seed)
        self.draws, self._next = 0, 0       # ring position of the next slice to refresh
        self.blurred = self.sharp = None
        if cache is not None and Path(cache).is_file():
            saved = torch.load(cache, weights_only=True)
            if saved["blurred"].shape[0] == size and saved.get("key", "") == key:
                self.blurred, self.sharp = saved["blurred"], saved["sharp"]
                log(f"pair bank: {size} pairs loaded from {cache}")
            else:
                log(f"pair bank: {cache} was made with other settings; making a new one")
        if self.blurred is None:
            self._fill(log)

    def _fill(self, log) -> None:
        parts_b, parts_s, count = [], [], 0
        while count < self.size:
            blurred, sharp = self.make_pairs()
            parts_b.append(_to_bytes(blurred))
            parts_s.append(_to_bytes(sharp))
            count += blurred.shape[0]
        self.blurred = torch.cat(parts_b)[:self.size]
        self.sharp = torch.cat(parts_s)[:self.size]
        log(f"pair bank: {self.size} pairs synthesised")
        self.save()

    def save(self) -> None:
        if self.cache is None:
            return
        Path(self.cache).parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(Path(self.cache)) as temporary:
            torch.save({"blurred": self.blurred, "sharp": self.sharp, "key": self.key},
                       temporary)

    def refresh(self) -> None:
        """Replace the oldest slice of the bank with freshly synthesised pairs."""
        blurred, sharp = self.make_pairs()
        n = min(blurred.shape[0], self.size)
        rows = (self._next + np.arange(n)) % self.size
        self.blurred[rows], self.sharp[rows] = _to_bytes(blurred[:n]), _to_bytes(sharp[:n])
        self._next = int((self._next + n) % self.size)

    def batch(self, count: int, device: torch.device | str = "cpu"
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """`count` pairs drawn at random, each cropped, flipped and turned the same way on both
        sides; floats in [0, 1] on `device`."""
        self.draws += 1
        if self.draws % self.refresh_every == 0:
            self.refresh()
        rng, side, crop = self.rng, self.blurred.shape[-1], self.crop
        out_b, out_s = [], []
        for index in rng.integers(self.size, size=count):
            top, left = rng.integers(side - crop + 1, size=2)
            pair = torch.stack([self.blurred[index], self.sharp[index]])
            pair = pair[..., top:top + crop, left:left + crop]
            if rng.random() < 0.5:
                pair = pair.flip(-1)
            pair = torch.rot90(pair, int(rng.integers(4)), dims=(-2, -1))
            out_b.append(pair[0])
            out_s.append(pair[1])
        blurred = torch.stack(out_b).to(device).float() / 255
        sharp = torch.stack(out_s).to(device).float() / 255
        return blurred, sharp
