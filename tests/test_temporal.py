"""The temporal reference stage on small synthetic clips: a textured scene under camera
shake, some frames motion-blurred, the others sharp (their known sharp neighbours)."""
from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from engine.temporal import FrameInfo, TemporalFuser, scene_cut, sharpness

H, W = 96, 160


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255 ** 2 / max(mse, 1e-9))


def texture(seed: int, size: tuple[int, int] = (H + 40, W + 40)) -> np.ndarray:
    """Detail at several scales (noise octaves + a few hard shapes), uint8 RGB."""
    rng = np.random.default_rng(seed)
    img = np.zeros(size + (3,), np.float32)
    for cell, amp in ((2, 40), (6, 50), (20, 60)):
        small = rng.uniform(-1, 1, (size[0] // cell + 2, size[1] // cell + 2, 3)).astype(np.float32)
        img += amp * cv2.resize(small, (size[1] + 2 * cell, size[0] + 2 * cell),
                                interpolation=cv2.INTER_CUBIC)[cell:cell + size[0], cell:cell + size[1]]
    for _ in range(8):
        x, y = int(rng.integers(0, size[1])), int(rng.integers(0, size[0]))
        cv2.rectangle(img, (x, y), (x + 12, y + 8), tuple(float(v) for v in rng.uniform(-80, 80, 3)), -1)
    return np.clip(img + 128, 0, 255).astype(np.uint8)


def blur(img: np.ndarray, length: int = 9, angle: float = 20.0) -> np.ndarray:
    """Linear motion blur along `angle`."""
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    k = cv2.warpAffine(k, rot, (length, length))
    return cv2.filter2D(img, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT)


def shaky_clip(n: int, blurred: set[int], seed: int = 0, obj: bool = False
               ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(inputs, ground truth): a crop of a texture wandering a few pixels per frame; the
    frames in `blurred` motion-blurred. With `obj`, a textured block crosses the scene fast
    (its own motion, unlike the background's)."""
    scene = texture(seed)
    patch = texture(seed + 100, (28, 28))
    rng = np.random.default_rng(seed + 1)
    sharp, inputs = [], []
    for i in range(n):
        dx, dy = (int(v) for v in rng.integers(0, 9, 2)) if i else (4, 4)
        frame = scene[16 + dy:16 + dy + H, 16 + dx:16 + dx + W].copy()
        if obj:
            x = 10 + 12 * i
            frame[30:58, x:x + 28] = patch
        sharp.append(frame)
        inputs.append(blur(frame) if i in blurred else frame.copy())
    return inputs, sharp


def run(fuser: TemporalFuser, frames: list[np.ndarray], bases=None) -> list:
    out = []
    for i, f in enumerate(frames):
        out += fuser.push(i, f, None if bases is None else bases[i])
    return out + fuser.flush()


BLURRED = {2, 3, 5, 8, 9}


@pytest.fixture(scope="module")
def clip():
    return shaky_clip(12, BLURRED)


def test_sharpness_orders_blur(clip):
    inputs, sharp = clip
    grey = lambda f: cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
    for i in BLURRED:
        assert sharpness(grey(inputs[i])) < 0.7 * sharpness(grey(sharp[i]))


@pytest.mark.parametrize("past_only", [False, True])
def test_detail_recovered_on_blurred_frames(clip, past_only):
    inputs, sharp = clip
    out = run(TemporalFuser(window=3, past_only=past_only), inputs)
    assert [r.index for r in out] == list(range(len(inputs)))
    for r in out:
        before, after = psnr(inputs[r.index], sharp[r.index]), psnr(r.frame, sharp[r.index])
        if r.index in BLURRED and (not past_only or r.index > 2):
            assert after > before + 2.0, (r.index, before, after)
            assert r.stats.reference is not None and r.stats.share > 0.3
            assert r.stats.reference not in BLURRED
        if r.index not in BLURRED:     # sharp frames come out as the base, untouched
            assert np.array_equal(r.frame, inputs[r.index])
            assert r.stats.share == 0.0


def test_moving_object_does_not_ghost():
    inputs, sharp = shaky_clip(8, {3, 4}, seed=3, obj=True)
    out = run(TemporalFuser(window=3), inputs)
    for r in out:
        if r.index in (3, 4):
            x = 10 + 12 * r.index
            region = (slice(26, 62), slice(x - 4, x + 32))
            # the object's texture has the background's statistics (the hard case for the
            # low-band test): measured -0.07 / -0.13 dB, allowed 0.2
            assert psnr(r.frame[region], sharp[r.index][region]) >= \
                psnr(inputs[r.index][region], sharp[r.index][region]) - 0.2
            assert psnr(r.frame, sharp[r.index]) > psnr(inputs[r.index], sharp[r.index]) + 1.0


def test_no_sharp_frame_gives_the_base(clip):
    _, sharp = clip
    inputs = [blur(f, 9, 20.0) for f in sharp]
    bases = [np.clip(f.astype(np.int16) + 3, 0, 255).astype(np.uint8) for f in inputs]
    out = run(TemporalFuser(window=3), inputs, bases)
    assert len(out) == len(inputs)
    for r in out:
        assert np.array_equal(r.frame, bases[r.index])
        assert r.stats.reference is None and r.stats.share == 0.0


def test_scene_cut_stops_references():
    a_in, _ = shaky_clip(5, {4}, seed=10)
    b_in, b_sharp = shaky_clip(5, {0}, seed=20)
    infos = [FrameInfo(i, f) for i, f in enumerate(a_in + b_in)]
    assert scene_cut(infos[4], infos[5])
    assert not any(scene_cut(infos[i], infos[i + 1]) for i in range(4))
    out = run(TemporalFuser(window=3), a_in + b_in)
    assert [r.index for r in out] == list(range(10))
    for r in out[:5]:
        assert all(i < 5 for i in r.stats.references)
    for r in out[5:]:
        assert all(i >= 5 for i in r.stats.references)
    assert out[5].stats.reference is not None    # frame 5 (blurred) borrowed from its scene
    assert psnr(out[5].frame, b_sharp[0]) > psnr(b_in[0], b_sharp[0]) + 2.0


def test_cut_finishes_a_scene_early():
    a_in, _ = shaky_clip(4, set(), seed=10)
    b_in, _ = shaky_clip(2, set(), seed=20)
    fuser = TemporalFuser(window=6)
    got = [r.index for i, f in enumerate(a_in + b_in) for r in fuser.push(i, f)]
    assert got == [0, 1, 2, 3]     # the cut at 4 closes scene one; no look-ahead to wait for
    assert [r.index for r in fuser.flush()] == [4, 5]


def test_past_only_never_waits(clip):
    inputs, _ = clip
    fuser = TemporalFuser(window=4, past_only=True)
    assert fuser.latency == 0
    for i, f in enumerate(inputs):
        got = fuser.push(100 + i, f)
        assert [r.index for r in got] == [100 + i]
        assert all(j < 100 + i for j in got[0].stats.references)
    assert fuser.flush() == []


def test_look_ahead_order_and_ends(clip):
    inputs, _ = clip
    fuser = TemporalFuser(window=2)
    seen = []
    for i, f in enumerate(inputs):
        got = fuser.push(i, f)
        # frame i comes out once frame i + window is in, not before
        assert [r.index for r in got] == ([i - 2] if i >= 2 else [])
        seen += got
    seen += fuser.flush()
    assert [r.index for r in seen] == list(range(len(inputs)))   # first and last included
    assert all(r.frame.shape == (H, W, 3) and r.frame.dtype == np.uint8 for r in seen)


def test_second_reference_from_the_other_side():
    """Frame 6 is blurred, and so are 3-5 and 8: its nearest sharp frames are 7 and 9 after
    it, 2 before it. Far frames score less, so the two best candidates lie after it, yet the
    second one aligned is the best from before: references from both sides leave no border
    uncovered by both. Frame 0 has candidates after it only, and gets its two best."""
    inputs, _ = shaky_clip(12, {0, 3, 4, 5, 6, 8})
    out = {r.index: r for r in run(TemporalFuser(window=4, distance_penalty=0.2), inputs)}
    assert out[6].stats.references == (7, 2)
    assert out[0].stats.references == (1, 2)


def test_bad_input_rejected():
    fuser = TemporalFuser()
    with pytest.raises(ValueError):
        fuser.push(0, np.zeros((H, W), np.uint8))
    with pytest.raises(ValueError):
        fuser.push(0, np.zeros((H, W, 3), np.uint8), np.zeros((H, W + 1, 3), np.uint8))
    with pytest.raises(ValueError):
        TemporalFuser(window=0)


def test_fast_pan_over_high_contrast_scene_is_no_cut(monkeypatch):
    """Two frames of one bold scene, the second panned 40 px and motion-blurred: their
    thumbnails differ far more than the cut level, yet they are the same scene (they
    correlate); a cut between two such scenes still is one."""
    rng = np.random.default_rng(3)
    blocks = rng.choice([20, 235], (12, 22, 3)).astype(np.uint8)
    scene = cv2.resize(blocks, (880, 480), interpolation=cv2.INTER_NEAREST)
    first = scene[60:420, 100:740].copy()
    panned = blur(scene[60:420, 140:780].copy(), length=15, angle=0)
    other = cv2.resize(rng.choice([20, 235], (12, 22, 3)).astype(np.uint8), (880, 480),
                       interpolation=cv2.INTER_NEAREST)[60:420, 100:740].copy()
    a, b, c = (FrameInfo(i, f) for i, f in enumerate((first, panned, other)))
    assert not scene_cut(a, b)
    assert scene_cut(a, c)
    # the test before the correlation (the package's name `sharpness` is also a function)
    monkeypatch.setattr(sys.modules[scene_cut.__module__], "CUT_CORRELATION", 2.0)
    assert scene_cut(a, b)


def test_a_frame_blended_in_strips_on_the_cores_is_the_frame_blended_whole(clip, monkeypatch):
    """Big frames are blended in strips of rows on a thread pool (fusion._strips): the same
    pixels as one piece."""
    from engine.temporal import fusion
    inputs, _ = clip
    monkeypatch.setattr(fusion, "_strips", lambda h, w: [slice(0, h)])
    whole = run(TemporalFuser(window=3), inputs)
    monkeypatch.setattr(fusion, "_strips",
                        lambda h, w: [slice(0, 37), slice(37, 38), slice(38, h)])
    strips = run(TemporalFuser(window=3), inputs)
    assert any(r.stats.share > 0.3 for r in whole)       # detail was borrowed at all
    for a, b in zip(whole, strips):
        assert np.array_equal(a.frame, b.frame) and a.stats.share == b.stats.share


def test_big_frames_are_aligned_on_grey_images_about_640_wide():
    """Half size up to 720p; above, about 640 px wide (at 1080p a third gained more than half
    size on clips at that size, BENCHMARKS.md)."""
    from engine.temporal.window import flow_scale_for
    assert [flow_scale_for(w) for w in (160, 640, 1280, 1920, 3840)] == [2, 2, 2, 3, 6]
    fuser = TemporalFuser(window=1)
    fuser.push(0, np.zeros((1080, 1920, 3), np.uint8))
    assert fuser._frames[-1].grey.shape == (360, 640)
    fixed = TemporalFuser(window=1, flow_scale=2)
    fixed.push(0, np.zeros((1080, 1920, 3), np.uint8))
    assert fixed._frames[-1].grey.shape == (540, 960)
