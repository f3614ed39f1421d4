"""The temporal stage's alignment: the global motion model fitted to DIS's flow lines a sharp
reference up with a blurred target (the gain it brings shows on real-looking clips, where the
flow errs: BENCHMARKS.md), and leaves an object that moves on its own to the flow."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.temporal import Aligner, FrameInfo
from engine.temporal.align import fit_homography
from tests.test_temporal import blur, texture

H, W = 180, 320                 # the frames; the flow works at half this size
ANGLE, SHIFT = 1.5, (5.0, -3.0)  # the reference: the scene turned (degrees) and moved (px)


def _similarity() -> np.ndarray:
    """Full-size 2 x 3 map from a target pixel to where the scene point lies in the reference."""
    m = cv2.getRotationMatrix2D((W / 2, H / 2), ANGLE, 1.0)
    m[:, 2] += SHIFT
    return m


def _frames(with_object: bool = False):
    scene = texture(3, (H, W))
    m = _similarity()
    # the reference is the scene seen through m: ref(m(x)) = scene(x)
    reference = cv2.warpAffine(scene, m, (W, H), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REFLECT)
    target = scene.copy()
    box = (slice(60, 120), slice(120, 200))
    if with_object:
        patch = texture(50, (60, 80))
        target[box] = patch
        # in the reference the object sits 14 px further right than the scene around it
        # moved it: its own motion
        reference[60:120, 134:214] = patch
    return blur(target, 9, 30.0), reference, box


def _align(target: np.ndarray, reference: np.ndarray, tolerance: float):
    t, r = FrameInfo(0, target), FrameInfo(1, reference)
    return Aligner("fast", global_tolerance=tolerance).align(t.flow_grey, r.flow_grey)


def _map_error(alignment) -> np.ndarray:
    """Flow-size pixels between the alignment's map and the true one, per pixel."""
    h, w = alignment.map_x.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    m = _similarity()
    # the true map at full size, in flow-size pixel centres
    fx, fy = (xs + 0.5) * 2 - 0.5, (ys + 0.5) * 2 - 0.5
    true_x = ((m[0, 0] * fx + m[0, 1] * fy + m[0, 2]) + 0.5) / 2 - 0.5
    true_y = ((m[1, 0] * fx + m[1, 1] * fy + m[1, 2]) + 0.5) / 2 - 0.5
    return np.hypot(alignment.map_x - true_x, alignment.map_y - true_y)


def test_global_model_fits_the_camera_motion():
    target, reference, _ = _frames()
    inner = np.s_[10:-10, 16:-16]          # away from the borders the scene left
    with_model = _align(target, reference, 1.0)
    flow_only = _align(target, reference, 0.0)
    assert with_model.global_share > 0.8
    assert flow_only.global_share == 0.0
    err_model = _map_error(with_model)[inner]
    err_flow = _map_error(flow_only)[inner]
    # a third of a flow pixel: the flow's own accuracy on this easy texture
    assert np.percentile(err_model, 90) < 0.35
    assert np.percentile(err_model, 90) < np.percentile(err_flow, 90) + 0.1
    assert with_model.confidence[inner].mean() > 0.9


def test_object_moving_on_its_own_keeps_its_flow():
    target, reference, box = _frames(with_object=True)
    alignment = _align(target, reference, 1.0)
    ys, xs = box
    core = np.s_[(ys.start + 10) // 2:(ys.stop - 10) // 2, (xs.start + 10) // 2:(xs.stop - 10) // 2]
    # the background follows the model; inside the object the map is the object's own
    # motion (7 flow px further right than the scene's), or the pixel is not trusted
    err = _map_error(alignment)
    off_model = err[core] > 3.0
    distrusted = alignment.confidence[core] < 0.5
    assert np.mean(off_model | distrusted) > 0.9
    assert alignment.global_share > 0.5


@pytest.mark.parametrize("tolerance", [0.0, 1.0])
def test_flat_frames_align_without_a_model(tolerance):
    """Nothing to fit on (a flat frame): no global model, the flow's own result."""
    flat = np.full((H, W, 3), 128, np.uint8)
    alignment = _align(flat, flat, tolerance)
    assert alignment.global_share == 0.0 or tolerance > 0
    assert alignment.confidence.shape == alignment.map_x.shape


def test_homography_fit_on_a_shift_and_on_a_collapsed_map():
    h, w = 90, 160
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    trusted = np.ones((h, w), np.float32)
    shift = fit_homography(xs + 3, ys - 2, trusted, 1.0)
    assert np.allclose(shift, [[1, 0, 3], [0, 1, -2], [0, 0, 1]], atol=1e-3)
    # every pixel mapped onto one point: nothing a camera motion explains
    collapsed = np.zeros((h, w), np.float32)
    assert fit_homography(collapsed, collapsed, trusted, 1.0) is None
    # nothing trusted to fit on
    assert fit_homography(xs, ys, np.zeros((h, w), np.float32), 1.0) is None
