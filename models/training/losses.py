"""Training losses. RaGAN-LS is DeblurGAN-v2's adversarial loss: least squares on the
relativistic average score, i.e. how much more real a real image looks than the average fake
(and the other way round)."""
from __future__ import annotations

from collections.abc import Sequence

import torch


def ragan_ls_discriminator_loss(real_scores: torch.Tensor,
                                fake_scores: torch.Tensor) -> torch.Tensor:
    """Pushes D(real) - E[D(fake)] to +1 and D(fake) - E[D(real)] to -1."""
    return 0.5 * (((real_scores - fake_scores.mean() - 1) ** 2).mean()
                  + ((fake_scores - real_scores.mean() + 1) ** 2).mean())


def ragan_ls_generator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The discriminator's targets swapped: fakes should look more real than the average real."""
    return 0.5 * (((real_scores - fake_scores.mean() + 1) ** 2).mean()
                  + ((fake_scores - real_scores.mean() - 1) ** 2).mean())


def double_scale_loss(loss_fn, real: Sequence[torch.Tensor],
                      fake: Sequence[torch.Tensor]) -> torch.Tensor:
    """Average one RaGAN-LS loss over the discriminator's scales (local map, global score)."""
    return sum(loss_fn(r, f) for r, f in zip(real, fake, strict=True)) / len(real)


def charbonnier(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """A smooth L1: sqrt(d^2 + eps^2), MPRNet's restoration loss."""
    return torch.sqrt((pred - target) ** 2 + eps * eps).mean()


def laplacian(x: torch.Tensor) -> torch.Tensor:
    """Difference between the image and its 5-tap Gaussian blur (one Laplacian-pyramid band),
    per channel, with replicated borders."""
    kernel = torch.tensor([0.05, 0.25, 0.4, 0.25, 0.05], device=x.device, dtype=x.dtype)
    kernel = (kernel[:, None] * kernel[None, :]).expand(x.shape[1], 1, 5, 5)
    blurred = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (2, 2, 2, 2), "replicate"),
                                         kernel, groups=x.shape[1])
    return x - blurred


def edge_loss(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Charbonnier distance between the Laplacians: penalises lost or false edges."""
    return charbonnier(laplacian(pred), laplacian(target), eps)


def multistage_loss(stages: Sequence[torch.Tensor], target: torch.Tensor,
                    edge_lambda: float = 0.05) -> torch.Tensor:
    """MPRNet: Charbonnier + edge_lambda * edge loss, summed over every stage's output."""
    return sum(charbonnier(s, target) + edge_lambda * edge_loss(s, target) for s in stages)
