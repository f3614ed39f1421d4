"""FrameAdapter: any frame size in, the same size out, padding invisible inside the frame."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import models
from models.frame_adapter import FrameAdapter
from tests.helpers import random_model


@pytest.mark.parametrize("alias", ["fast", "quality"])
@pytest.mark.parametrize("size", [(1, 1), (17, 33), (40, 64)])
def test_any_size_round_trips_shape_and_dtype(alias, size):
    entry = models.resolve(alias)
    adapter = FrameAdapter(random_model(entry.construct), entry.spec).eval()
    frames = torch.randint(0, 256, (2, *size, 3), dtype=torch.uint8)
    with torch.inference_mode():
        out = adapter(frames)
    assert out.shape == frames.shape and out.dtype == torch.uint8


def test_padding_replicates_the_last_row_and_column():
    """The network sees the frame extended by its own border pixels, so a frame whose last row
    and column are already repeated up to the multiple gives the same pixels either way."""
    entry = models.resolve("fast")
    adapter = FrameAdapter(random_model(entry.construct), entry.spec).eval()
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (1, 50, 70, 3), dtype=np.uint8)
    full = np.pad(small, ((0, 0), (0, 64 - 50), (0, 96 - 70), (0, 0)), mode="edge")
    with torch.inference_mode():
        from_small = adapter(torch.from_numpy(small)).numpy()
        from_full = adapter(torch.from_numpy(full)).numpy()[:, :50, :70]
    np.testing.assert_array_equal(from_small, from_full)
