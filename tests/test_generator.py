"""DeblurGAN-v2 generators: shapes at any size, batch and tile independence, size and cost."""
import numpy as np
import pytest
import torch
from torch import nn

import models
from engine.stages.restorer import Restorer
from models.complexity import count_macs, count_parameters
from models.deblurganv2 import FPNGenerator, FPNGeneratorConfig
from tests.helpers import random_model

DSC = FPNGeneratorConfig(separable=True)


@pytest.mark.parametrize("height,width", [(33, 17), (719, 1279), (1, 40), (64, 64)])
def test_restored_frame_has_the_input_size(weights_dir, height, width):
    frame = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    restored = Restorer("fast").restore(frame)
    assert restored.shape == frame.shape and restored.dtype == np.uint8


@pytest.mark.parametrize("config", [DSC, FPNGeneratorConfig()], ids=["dsc", "mobilenetv2"])
def test_a_frame_alone_and_inside_a_batch_give_the_same_pixels(config):
    net = random_model(lambda: FPNGenerator(config))
    batch = torch.rand(3, 3, 96, 128) * 2 - 1
    with torch.no_grad():
        together = net(batch)
        alone = torch.cat([net(frame[None]) for frame in batch])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=0)


def test_a_tile_matches_the_whole_frame_away_from_its_border():
    """With no frame statistics, a tile aligned to the 1/32 grid reproduces the whole frame's
    output wherever the tile holds the whole receptive field that matters (margin 128)."""
    net = random_model(lambda: FPNGenerator(DSC))
    nn.init.normal_(net.final.weight, std=0.5)  # a residual large enough to compare
    frame = torch.rand(1, 3, 640, 640) * 2 - 1
    top, size, margin = 128, 384, 128
    inner = slice(top + margin, top + size - margin)
    with torch.no_grad():
        whole = net(frame)
        tile = net(frame[:, :, top:top + size, top:top + size])
        residual = (whole - frame)[:, :, inner, inner]
        assert residual.abs().mean() > 0.05
        error = (tile[:, :, margin:-margin, margin:-margin] - whole[:, :, inner, inner]).abs()
        assert error.max() < 1e-4
        # The same check fails for a network normalising with the frame's own statistics.
        net.train()
        tile_stats = net(frame[:, :, top:top + size, top:top + size])
        whole_stats = net(frame)
    leak = (tile_stats[:, :, margin:-margin, margin:-margin] - whole_stats[:, :, inner, inner])
    assert leak.abs().max() > 1e-2


def _fpn_side_convs(net: FPNGenerator) -> list[nn.Conv2d]:
    return [m for name, m in net.named_modules()
            if isinstance(m, nn.Conv2d) and not name.startswith("encoder")]


def test_dsc_makes_every_dense_3x3_of_fpn_heads_and_smoothing_separable():
    dense = [m for m in _fpn_side_convs(FPNGenerator(DSC))
             if m.kernel_size == (3, 3) and m.groups == 1]
    assert len(dense) == 1 and dense[0].out_channels == 3   # only the final conv to RGB


def test_parameter_counts():
    full, dsc = FPNGenerator(), FPNGenerator(DSC)
    # Each of the 3 top-down, 8 head and 2 smoothing 3x3 convs (in -> out, no bias) costs
    # 9*in*out dense and 9*in + in*out separable.
    replaced = [(128, 128)] * 3 + [(128, 64), (64, 64)] * 4 + [(256, 64), (64, 32)]
    saving = sum(9 * i * o - (9 * i + i * o) for i, o in replaced)
    assert count_parameters(full) - count_parameters(dsc) == saving
    # The paper's DSC model is about 4 MB of fp32 weights.
    assert 3.5e6 < 4 * count_parameters(dsc) < 5.5e6
    # MPRNet, paper config: 20.1 M parameters (Zamir et al. 2021, table of model sizes).
    assert abs(count_parameters(models.resolve("mprnet").construct()) - 20.1e6) < 0.1e6


def test_dsc_needs_at_most_a_third_of_the_macs_at_720p():
    full = count_macs(models.resolve("deblurganv2-mobilenetv2"), 1280, 720)
    dsc = count_macs(models.resolve("fast"), 1280, 720)
    assert 30e9 < full < 50e9       # the paper's FPN-MobileNet is ~40 GMACs at this size
    assert dsc <= full / 3
