"""MPRNet: stage outputs, the size-derived patch split, batch independence."""
import numpy as np
import pytest
import torch

from engine.stages.restorer import Restorer
from models.mprnet import MPRNet, MPRNetConfig
from tests.helpers import random_model

TINY = MPRNetConfig(n_feat=16, scale_unetfeats=8, scale_orsnetfeats=8, num_cab=2)


@pytest.mark.parametrize("height,width", [(48, 80), (64, 40), (96, 96)])
def test_every_stage_restores_the_whole_frame(height, width):
    net = random_model(lambda: MPRNet(TINY))
    image = torch.rand(2, 3, height, width)
    with torch.no_grad():
        stages = net.forward_stages(image)
        final = net(image)
    assert [s.shape for s in stages] == [image.shape] * 3
    torch.testing.assert_close(final, stages[0])


def test_stage_one_restores_the_two_halves_separately():
    """A change in the top half leaves the bottom half of stage 1 untouched, but not of the
    later stages, whose decoders see the whole frame: the split is taken from the tensor's own
    size, not a constant."""
    net = random_model(lambda: MPRNet(TINY))
    image = torch.rand(1, 3, 64, 96)
    changed = image.clone()
    changed[:, :, 5:20, 7:30] = torch.rand(1, 3, 15, 23)
    with torch.no_grad():
        before, after = net.forward_stages(image), net.forward_stages(changed)
    bottom = [(b - a)[:, :, 32:].abs().max().item() for b, a in zip(before, after)]
    top = [(b - a)[:, :, :32].abs().max().item() for b, a in zip(before, after)]
    assert bottom[2] == 0
    assert min(bottom[:2]) > 0 and min(top) > 1e-3


def test_a_frame_alone_and_inside_a_batch_give_the_same_pixels():
    net = random_model(lambda: MPRNet(TINY))
    batch = torch.rand(3, 3, 48, 64)
    with torch.no_grad():
        together = net(batch)
        alone = torch.cat([net(frame[None]) for frame in batch])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("height,width", [(33, 17), (50, 70)])
def test_quality_model_restores_odd_sizes(weights_dir, height, width):
    frame = np.random.default_rng(1).integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert Restorer("quality").restore(frame).shape == frame.shape
