"""The double-scale discriminator and the RaGAN-LS losses."""
import torch

from models.discriminator import DiscriminatorConfig, DoubleScaleDiscriminator
from models.training.losses import (double_scale_loss, ragan_ls_discriminator_loss,
                                    ragan_ls_generator_loss)

SMALL = DiscriminatorConfig(base_channels=8)


def _receptive_field(branch: torch.nn.Sequential) -> int:
    size, step = 1, 1
    for layer in branch:
        if isinstance(layer, torch.nn.Conv2d):
            size += (layer.kernel_size[0] - 1) * step
            step *= layer.stride[0]
    return size


def test_local_branch_scores_70x70_patches_and_global_branch_one_score_per_image():
    disc = DoubleScaleDiscriminator(SMALL)
    local_scores, global_scores = disc(torch.rand(2, 3, 256, 256))
    assert _receptive_field(disc.local_branch) == 70
    assert local_scores.shape == (2, 1, 30, 30)     # 70 x 70 patches at a stride of 8
    assert global_scores.shape == (2, 1, 1, 1)


def test_global_branch_depends_on_the_whole_image():
    disc = DoubleScaleDiscriminator(SMALL)
    image = torch.rand(1, 3, 256, 256, requires_grad=True)
    disc(image)[1].sum().backward()
    grad = image.grad[0].abs().sum(0)
    assert grad[:16, :16].sum() > 0 and grad[-16:, -16:].sum() > 0


def test_ragan_ls_is_zero_when_reals_beat_the_average_fake_by_one():
    real = torch.full((4, 1, 5, 5), 0.5) + 0.01 * torch.randn(4, 1, 5, 5)
    fake = real - 1.0
    assert ragan_ls_discriminator_loss(real, fake) < 1e-3
    assert ragan_ls_generator_loss(real, fake) > 1.5     # the generator has everything to gain
    assert ragan_ls_generator_loss(fake, real) < 1e-3     # ... and nothing once roles swap


def test_generator_loss_pushes_fake_scores_up():
    real = torch.randn(8, 1, 4, 4)
    fake = torch.randn(8, 1, 4, 4, requires_grad=True)
    ragan_ls_generator_loss(real, fake).backward()
    assert fake.grad.mean() < 0      # descending the loss raises the fakes' scores


def test_double_scale_loss_averages_the_two_branches():
    real = (torch.ones(2, 1, 3, 3), torch.ones(2, 1, 1, 1))
    fake = (torch.zeros(2, 1, 3, 3), torch.full((2, 1, 1, 1), 2.0))
    expected = (ragan_ls_discriminator_loss(real[0], fake[0])
                + ragan_ls_discriminator_loss(real[1], fake[1])) / 2
    torch.testing.assert_close(double_scale_loss(ragan_ls_discriminator_loss, real, fake),
                               expected)
