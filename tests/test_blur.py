"""Blur synthesis: linear-light averaging, saturated highlights, identity pairs, noise,
codecs, reproducibility."""
import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models.training.blur import BlurConfig, BlurSynthesizer, render_exposure
from models.training.colour import linear_to_srgb, srgb_to_linear
from models.training.compression import h264_roundtrip, jpeg_roundtrip
from models.training.trajectories import Poses, blur_extents, camera_shake, random_walk

QUIET = BlurConfig(identity_prob=0, object_prob=0, highlight_prob=0, noise_prob=0,
                   jpeg_prob=0, h264_prob=0)


def _horizontal_sweep(length: float, steps: int = 41) -> Poses:
    poses = Poses.identity(1, steps, 64, 32)
    poses.shift[0, :, 0] = np.linspace(-length / 2, length / 2, steps)
    return poses


def test_sub_frames_are_averaged_in_linear_light():
    """Half black, half white, swept sideways: the pixel on the edge sees each half for half
    the exposure, so it is 50% linear light (sRGB 0.735), not sRGB 0.5."""
    image = torch.zeros(1, 3, 32, 64)
    image[..., 32:] = 1.0
    blurred = linear_to_srgb(render_exposure(srgb_to_linear(image), _horizontal_sweep(20)))
    edge = blurred[0, :, 16, 31:33].mean().item()
    assert edge == pytest.approx(float(linear_to_srgb(torch.tensor(0.5))), abs=0.03)
    assert blurred[0, :, 16, 5].max() < 1e-3 and blurred[0, :, 16, 60].min() > 0.999


def test_highlights_brighter_than_white_stay_saturated_along_their_streak():
    image = torch.full((1, 3, 32, 64), 0.05)
    image[..., 14:18, 30:36] = 1.0              # a small light, 6 px wide
    linear = srgb_to_linear(image)
    sweep = _horizontal_sweep(24)
    plain = linear_to_srgb(render_exposure(linear, sweep).clamp(0, 1))
    boosted = BlurSynthesizer._boost(linear, image, np.array([6.0]))
    streak = linear_to_srgb(render_exposure(boosted, sweep).clamp(0, 1))
    row = slice(26, 40)                                # covered for 1/4 of the exposure
    assert streak[0, :, 16, row].min() > 0.99          # clipped white, as on a real sensor
    assert plain[0, :, 16, row].max() < 0.75           # without the boost it is a dim smear


def test_identity_pairs_are_exactly_sharp():
    sharp = torch.rand(3, 3, 32, 32)
    config = dataclasses.replace(BlurConfig(), identity_prob=1.0, degraded_identity_prob=0.0)
    blurred, target = BlurSynthesizer(config)(sharp)
    assert torch.equal(blurred, sharp) and torch.equal(target, sharp)


def test_degraded_identity_pairs_keep_their_noise_and_codec_in_the_target():
    """A sharp noisy or H.264-coded frame must come out as it went in: its pair's target is
    the degraded frame itself, not a cleaned one."""
    sharp = F.interpolate(torch.rand(4, 3, 8, 8), size=(32, 32), mode="bilinear")
    config = dataclasses.replace(BlurConfig(), identity_prob=1.0, degraded_identity_prob=1.0)
    blurred, target = BlurSynthesizer(config, seed=3)(sharp)
    assert torch.equal(blurred, target)
    changed = (target - sharp).abs().flatten(1).mean(1)
    assert (changed > 0.001).all() and (changed < 0.1).all()     # the same picture


def test_flat_bright_areas_are_as_bright_in_the_target_as_in_the_blurred_frame():
    """Highlights boosted beyond white clip in the target too (the same sensor saw both):
    a target darker than its blurred input in flat bright areas teaches a model to darken
    every bright frame."""
    sharp = torch.full((2, 3, 64, 64), 0.96)
    sharp[:, :, 20:40, 20:40] = 0.3                    # something to blur at the centre
    config = dataclasses.replace(QUIET, highlight_prob=1.0)
    blurred, target = BlurSynthesizer(config, seed=4)(sharp)
    corner = (slice(None), slice(None), slice(0, 6), slice(0, 6))   # far from the square
    assert (blurred[corner] - target[corner]).abs().max() < 2 / 255


def test_the_same_seed_gives_the_same_pairs_and_blur_is_real():
    sharp = torch.rand(4, 3, 48, 48)
    first = BlurSynthesizer(BlurConfig(), seed=7)(sharp)
    second = BlurSynthesizer(BlurConfig(), seed=7)(sharp)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    blurred, target = BlurSynthesizer(dataclasses.replace(QUIET, max_extent=12), seed=1)(sharp)
    assert torch.equal(target, sharp)
    assert (blurred - sharp).abs().mean() > 0.05       # random pixels lose their detail


def test_moving_objects_are_composited_into_the_target():
    sharp = torch.rand(2, 3, 48, 48)
    config = dataclasses.replace(QUIET, object_prob=1.0)
    blurred, target = BlurSynthesizer(config, seed=2)(sharp)
    assert not torch.allclose(target, sharp)           # the foreground was pasted in
    assert blurred.shape == target.shape == sharp.shape


def test_trajectories_have_the_requested_extent():
    rng = np.random.default_rng(0)
    path = random_walk(rng, 30)
    assert np.ptp(path, axis=0).max() == pytest.approx(1.0)
    assert np.abs(path.mean(axis=0)).max() < 1e-9       # centred: target = mean pose
    extents = blur_extents(rng, 100, 40.0)
    assert extents.min() >= 0 and extents.max() <= 40.0
    poses = camera_shake(rng, 3, 20, 128, 72, np.array([10.0, 20.0, 30.0]))
    spans = np.ptp(poses.shift, axis=1).max(axis=1)
    np.testing.assert_allclose(spans, [10.0, 20.0, 30.0])


def test_noise_grows_with_brightness():
    synth = BlurSynthesizer(dataclasses.replace(QUIET, noise_prob=1.0), seed=3)
    add_noise = synth._noise(torch.zeros(8, 3, 32, 32))
    dark = add_noise(torch.full((8, 3, 32, 32), 0.02))
    bright = add_noise(torch.full((8, 3, 32, 32), 0.6))
    assert bright.std() > dark.std() > 0


def test_noise_kept_in_the_target_is_the_blurred_frames_draw():
    """With target_keeps_noise the target differs from the clean one by the same noise the
    blurred frame got: on a flat image (blur changes nothing) input and target agree."""
    config = dataclasses.replace(QUIET, noise_prob=1.0, target_keeps_noise=True)
    flat = torch.full((4, 3, 48, 48), 0.4)
    blurred, target = BlurSynthesizer(config, seed=5)(flat)
    assert (target - flat).abs().mean() > 0.005            # the target is noisy
    assert (blurred - target).abs().max() <= 1.5 / 255      # with the same noise
    clean = BlurSynthesizer(dataclasses.replace(config, target_keeps_noise=False), seed=5)
    blurred_clean, target_clean = clean(flat)
    assert torch.equal(blurred_clean, blurred)             # the input is unchanged
    assert (target_clean - flat).abs().max() <= 0.5 / 255


def test_defocus_softens_part_of_the_scene_in_input_and_target_alike():
    rng = np.random.default_rng(4)
    texture = torch.from_numpy(rng.random((4, 3, 64, 64), dtype=np.float32))
    config = dataclasses.replace(QUIET, defocus_prob=1.0, max_extent=0.0)
    blurred, target = BlurSynthesizer(config, seed=2)(texture)
    # The scene is soft in places, in the target too: where it changed, far less fine detail
    # (a disc of radius >= 1.5 px averages white noise down) ...
    def detail(x):
        return (x[..., 1:, :] - x[..., :-1, :]).abs().amax(1)
    changed = (target - texture).abs().amax(1)[..., 1:, :] > 0.1
    assert detail(target)[changed].mean() < 0.6 * detail(texture)[changed].mean()
    # ... but not everywhere (a blob, or all but one, stays sharp) ...
    assert 0.02 < changed.float().mean() < 0.98
    # ... and without camera motion the input is that same soft scene.
    assert (blurred - target).abs().max() <= 1.5 / 255
    # Off by default: no draw, so seeded evaluation sets do not change.
    plain = BlurSynthesizer(QUIET, seed=2)(texture)
    again = BlurSynthesizer(dataclasses.replace(QUIET, defocus_prob=0.0), seed=2)(texture)
    assert torch.equal(plain[0], again[0])


@pytest.mark.parametrize("codec", [lambda x: jpeg_roundtrip(x, 50), lambda x: h264_roundtrip(x, 30)],
                         ids=["jpeg", "h264"])
def test_codecs_keep_size_and_add_mild_artefacts(codec):
    rng = np.random.default_rng(0)
    smooth = np.kron(rng.integers(0, 256, (9, 13, 3)), np.ones((6, 6, 1))).astype(np.uint8)
    image = smooth[:53, :77]                           # odd sides
    coded = codec(np.ascontiguousarray(image))
    assert coded.shape == image.shape
    error = np.abs(coded.astype(int) - image).mean()
    assert 0 < error < 20
