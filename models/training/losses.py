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
