"""The second do-no-harm guard: where the input is already sharp, the restorer gives it back
unchanged. Motion blur smears a frame along a path, so wherever it struck, a short blur
along that direction changes the frame little; where the frame is sharp in every direction,
the same short blur takes much of its gradient energy away. Per direction (horizontal,
vertical, both diagonals) the gate measures the share of gradient energy a BLUR-pixel box
blur leaves, locally (the guard's 33-px low-pass over the energies). Motion blur leaves a
large share along its path and less across it; an out-of-focus background (a photo's bokeh,
which a viewer wants kept as it is) and a calm frame softened evenly by H.264 leave a large
share every way. The blur evidence is the largest share less ISOTROPY times the smallest (with
ISOTROPY 1, the anisotropy: blur that is the same every way is no evidence), and the model's
change passes in proportion: none below LOW, all of it above HIGH. Sensor noise reads as sharp (a blur removes it).
Where the change passes, it must also add fine detail, not take it away (SMOOTHING_MARGIN):
motion blur never adds detail, so an output smoother than its input is the model removing
texture it took for noise (on clean held-out photos the fast model's worst pair lost 1.9 dB
that way).

Plain tensor arithmetic like the low-frequency guard, so it runs inside every exported graph,
and local, so tiles and batches agree. It is not trained through: the network learns to
deblur, the gate decides where it may."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.guard import LowFrequencyGuard

BLUR = 5            # pixels of the probing box blur along each direction
# Blur evidence: below LOW the input is kept, above HIGH the model's output. Chosen on tuning
# sets made from training photos only (`deblur data sharp|pairs --from train`, 48 sharp
# images, 16 pairs): there the fast model's worst sharp image went from 36.5 to 40.5 dB, its
# worst pair from -0.57 to -0.05 dB, its mean gain from +0.125 to +0.118 dB. A higher
# energy floor scored better there but shut the gate on long blur of low-contrast frames.
LOW, HIGH = 0.25, 0.45
# 1: the evidence is the anisotropy alone (largest share less smallest). At 0.5 an evenly soft
# frame (H.264 at CRF ~21 over a calm, noisy, bright frame) read as half blurred, and the model
# took calm stretches of a tuning clip 3.6 dB below their input. On the tuning sets (training
# photos: 8 clips, 63 pairs, 96 sharp images) 0.5 -> 1.0 moved the clips' worst 10-frame
# stretch from -3.56 to -0.06 dB (worst clip -0.79 -> -0.01), the pairs' mean gain from +0.13
# to +0.03 dB, the worst sharp image from 41.3 to 43.9 dB; 0.75 stopped halfway (-0.67 dB).
# The price: a clear 15-px motion blur lets 62 % of the model's change through, not all.
ISOTROPY = 1.0
# Energy floor, below the gradient energy of coding noise ((1/255)^2 is 1.5e-5): a direction
# with less (a flat area) gives no evidence of blur, so the input is kept there.
EPSILON = 1e-5
DIRECTIONS = 4
# Motion blur only ever takes fine detail away, so a restoration that leaves less of it than
# the input had is smoothing (the model removing texture it takes for noise), not deblurring:
# where the output's local fine-band (Laplacian) energy falls below the input's, the input is
# kept; below 1 - SMOOTHING_MARGIN times it, entirely.
SMOOTHING_MARGIN = 0.1


def _direction_kernels() -> tuple[torch.Tensor, torch.Tensor]:
    """Differences and BLUR-long boxes along x, y and the two diagonals, as depthwise
    (4, 1, BLUR, BLUR) kernels centred in the window."""
    c = BLUR // 2
    diff = torch.zeros(DIRECTIONS, 1, BLUR, BLUR)
    box = torch.zeros(DIRECTIONS, 1, BLUR, BLUR)
    steps = ((0, 1), (1, 0), (1, 1), (1, -1))   # (dy, dx)
    for d, (dy, dx) in enumerate(steps):
        diff[d, 0, c, c] = -1.0
        diff[d, 0, c + dy, c + dx] = 1.0
        for k in range(-c, c + 1):
            box[d, 0, c + k * dy, c + k * dx] = 1.0 / BLUR
    return diff, box


class SharpInputGate(nn.Module):
    """gate(output, source) = source + w * (output - source), NCHW tensors in the model's
    range `value_range`; w in [0, 1] per pixel from the source's blur evidence."""

    def __init__(self, value_range: tuple[float, float] = (0.0, 1.0)):
        super().__init__()
        diff, box = _direction_kernels()
        self.register_buffer("diff", diff, persistent=False)
        self.register_buffer("box", box, persistent=False)
        self.scale = 1.0 / (value_range[1] - value_range[0])
        self.smooth = LowFrequencyGuard(channels=2 * DIRECTIONS)
        self.register_buffer("laplacian", torch.tensor(
            [[[[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]]]), persistent=False)
        self.smooth_pair = LowFrequencyGuard(channels=2)

    def evidence(self, source: torch.Tensor) -> torch.Tensor:
        """N x 1 x H x W: per pixel, the largest share of gradient energy a short blur along
        one direction leaves (about 1/BLUR where sharp, near 1 where blurred that way), less
        ISOTROPY times the smallest."""
        luma = source.mean(1, keepdim=True) * self.scale
        pad = BLUR // 2
        grad = F.conv2d(F.pad(luma, (pad,) * 4, mode="replicate"), self.diff.to(luma.dtype))
        blurred = F.conv2d(F.pad(grad, (pad,) * 4, mode="replicate"),
                           self.box.to(luma.dtype), groups=DIRECTIONS)
        energies = self.smooth.lowpass(torch.cat([grad * grad, blurred * blurred], 1))
        energy, left = energies[:, :DIRECTIONS], energies[:, DIRECTIONS:]
        shares = left / (energy + EPSILON)
        return shares.amax(1, keepdim=True) - ISOTROPY * shares.amin(1, keepdim=True)

    def weight(self, source: torch.Tensor) -> torch.Tensor:
        return ((self.evidence(source) - LOW) / (HIGH - LOW)).clamp(0, 1)

    def sharpening(self, output: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        """N x 1 x H x W in [0, 1]: 1 where the output keeps at least the input's local
        fine-band energy, 0 where it keeps less than 1 - SMOOTHING_MARGIN of it."""
        luma = torch.cat([output.mean(1, keepdim=True), source.mean(1, keepdim=True)], 0)
        fine = F.conv2d(F.pad(luma * self.scale, (1,) * 4, mode="replicate"),
                        self.laplacian.to(luma.dtype))
        out_e, in_e = self.smooth_pair.lowpass(
            torch.cat(torch.chunk(fine * fine, 2, 0), 1)).split(1, 1)
        ratio = (out_e + EPSILON) / (in_e + EPSILON)
        return ((ratio - (1 - SMOOTHING_MARGIN)) / SMOOTHING_MARGIN).clamp(0, 1)

    def forward(self, output: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        w = self.weight(source) * self.sharpening(output, source)
        return source + w * (output - source)
