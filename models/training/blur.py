"""Realistic motion blur, synthesised on the fly from sharp images (torch: CPU or GPU).

One exposure = the average, in linear light, of N sub-frames warped by the camera's shake
(translation with inertia and jerks, rotation about a random centre, slight zoom), with
optional foreground objects moving on their own paths (occluding the background), bright
highlights that saturate and stay bright along their streaks, Poisson-Gaussian sensor noise,
and optional JPEG / H.264 compression. A fraction of pairs is left sharp, so that sharp input
comes out untouched. The target is the sharp frame at the exposure's mean pose, seen by the
same sensor: boosted highlights clip in the target as they do in the blurred frame (a target
darker than its input in flat bright areas taught the fast model to darken bright frames).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from models.training.colour import linear_to_srgb, srgb_to_linear
from models.training.compression import compress_batch
from models.training.trajectories import Poses, blur_extents, camera_shake, random_walk


@dataclass(frozen=True)
class BlurConfig:
    max_extent: float = 24.0      # longest blur, pixels end to end, at the training scale
    identity_prob: float = 0.1    # sharp -> sharp pairs
    object_prob: float = 0.25     # a foreground layer moving on its own
    highlight_prob: float = 0.5   # highlights brighter than white (they clip after the blur)
    noise_prob: float = 0.7
    jpeg_prob: float = 0.15
    h264_prob: float = 0.1
    # Of the identity pairs, the share whose input (and so target) carries sensor noise and
    # compression: a sharp noisy or H.264-coded frame must come out as it went in.
    degraded_identity_prob: float = 0.5
    # The target carries the same sensor noise as the blurred frame (the same draw, at the
    # target's own brightness): the model's job is the blur only. With clean targets the fast
    # model learned to denoise instead, and wiped real texture it took for noise.
    target_keeps_noise: bool = False
    # Sharp crops given a lens blur (defocus) over part of the frame before anything else, so
    # input and target share it: the scene itself is soft there. The fast model took naturally
    # soft edges (bokeh, an out-of-focus petal) for motion blur and haloed them.
    defocus_prob: float = 0.0


def _pixel_grid(height: int, width: int, device) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(height, device=device, dtype=torch.float32),
                            torch.arange(width, device=device, dtype=torch.float32),
                            indexing="ij")
    return torch.stack([xs, ys], dim=-1)          # H x W x 2, (x, y) pixel centres


def _to_normalised(coords: torch.Tensor, height: int, width: int) -> torch.Tensor:
    scale = torch.tensor([2.0 / width, 2.0 / height], device=coords.device)
    return (coords + 0.5) * scale - 1.0           # grid_sample, align_corners=False


def pose_coords(poses: Poses, t: int, pixels: torch.Tensor) -> torch.Tensor:
    """B x H x W x 2: where each reference pixel is seen at sub-frame t."""
    dev = pixels.device
    angle = torch.as_tensor(poses.angle[:, t], dtype=torch.float32, device=dev)
    zoom = torch.as_tensor(poses.zoom[:, t], dtype=torch.float32, device=dev)
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    matrix = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
    centre = torch.as_tensor(poses.centre, dtype=torch.float32, device=dev)[:, None, None]
    shift = torch.as_tensor(poses.shift[:, t], dtype=torch.float32, device=dev)[:, None, None]
    rel = pixels[None] - centre
    return torch.einsum("bij,bhwj->bhwi", matrix, rel) + centre + shift


def _sample(image: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    height, width = image.shape[-2:]
    return F.grid_sample(image, _to_normalised(coords, height, width), mode="bilinear",
                         padding_mode="reflection", align_corners=False)


def render_exposure(linear: torch.Tensor, poses: Poses, layer: torch.Tensor | None = None,
                    mask: torch.Tensor | None = None,
                    layer_shift: np.ndarray | None = None) -> torch.Tensor:
    """Average of the sub-frames seen through `poses`; with `layer`/`mask`, a foreground
    composited over the background at each instant, displaced by its own `layer_shift`
    (B x N x 2) on top of the camera motion."""
    pixels = _pixel_grid(*linear.shape[-2:], linear.device)
    steps = poses.shift.shape[1]
    total = torch.zeros_like(linear)
    for t in range(steps):
        coords = pose_coords(poses, t, pixels)
        frame = _sample(linear, coords)
        if layer is not None:
            shift = torch.as_tensor(layer_shift[:, t], dtype=torch.float32,
                                    device=linear.device)[:, None, None]
            alpha = _sample(mask, coords - shift)
            frame = alpha * _sample(layer, coords - shift) + (1 - alpha) * frame
        total += frame
    return total / steps


def soft_blobs(rng: np.random.Generator, batch: int, height: int, width: int,
               device) -> torch.Tensor:
    """B x 1 x H x W soft masks: irregular ellipses covering roughly 3-25% of the frame."""
    pixels = _pixel_grid(height, width, device)
    masks = []
    side = min(height, width)
    for _ in range(batch):
        cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        a, b = rng.uniform(0.1, 0.35, size=2) * side
        theta = rng.uniform(0, np.pi)
        x, y = pixels[..., 0] - cx, pixels[..., 1] - cy
        u = (x * np.cos(theta) + y * np.sin(theta)) / a
        v = (-x * np.sin(theta) + y * np.cos(theta)) / b
        wobble = torch.as_tensor(rng.normal(size=(1, 1, 4, 4)), dtype=torch.float32,
                                 device=device)
        wobble = F.interpolate(wobble, size=(height, width), mode="bicubic",
                               align_corners=False)[0, 0]
        masks.append(torch.sigmoid((1 - (u ** 2 + v ** 2) + 0.3 * wobble) * rng.uniform(6, 30)))
    return torch.stack(masks)[:, None]


def _disc(radius: float, device) -> torch.Tensor:
    """1 x 1 x K x K normalised disc of `radius` pixels, its rim antialiased."""
    half = int(np.ceil(radius))
    r = torch.arange(-half, half + 1, dtype=torch.float32, device=device)
    distance = torch.hypot(r[None], r[:, None])
    disc = (radius + 0.5 - distance).clamp(0, 1)
    return (disc / disc.sum())[None, None]


def _quantise(srgb: torch.Tensor) -> torch.Tensor:
    """To the 8-bit steps a camera file holds."""
    return torch.round(srgb * 255) / 255


def _sub_frames(extent: float) -> int:
    """Enough sub-frames that consecutive ones move under ~0.7 px (no ghosting)."""
    return int(np.clip(np.ceil(extent * 1.5), 4, 64))


class BlurSynthesizer:
    """Turns a batch of sharp sRGB images (B x 3 x H x W in [0, 1]) into (blurred, target)
    pairs. Seeded, so a validation set can be reproduced exactly."""

    def __init__(self, config: BlurConfig = BlurConfig(), seed: int = 0):
        self.config = config
        self.rng = np.random.default_rng(seed)

    def __call__(self, sharp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cfg, rng = self.config, self.rng
        batch, _, height, width = sharp.shape
        device = sharp.device
        if cfg.defocus_prob > 0:       # no draw otherwise: seeded evaluation sets stay the same
            sharp = self._defocus(sharp)
        extents = blur_extents(rng, batch, cfg.max_extent)
        steps = _sub_frames(extents.max())
        poses = camera_shake(rng, batch, steps, width, height, extents)

        linear = srgb_to_linear(sharp)
        gain = np.where(rng.random(batch) < cfg.highlight_prob, rng.uniform(1.5, 6, batch), 1.0)
        background = self._boost(linear, sharp, gain)
        target_linear = background
        layer = mask = layer_shift = None
        with_object = rng.random(batch) < cfg.object_prob
        if with_object.any():
            # The foreground is cut from another image of the batch, with a soft mask.
            layer = self._boost(linear.roll(1, dims=0), sharp.roll(1, dims=0), gain)
            mask = soft_blobs(rng, batch, height, width, device) \
                * torch.as_tensor(with_object, dtype=torch.float32, device=device)[:, None,
                                                                                   None, None]
            layer_shift = np.stack([random_walk(rng, steps) * rng.uniform(2, 1.5 * cfg.max_extent)
                                    for _ in range(batch)])
            target_linear = mask * layer + (1 - mask) * background
        # Untouched images keep their exact sRGB values (no linear round trip).
        changed = torch.as_tensor((gain != 1.0) | with_object, device=device)[:, None, None, None]
        target = torch.where(changed, linear_to_srgb(target_linear.clamp(0, 1)), sharp)

        blurred = render_exposure(background, poses, layer, mask, layer_shift)
        noise = self._noise(blurred)
        blurred = linear_to_srgb(noise(blurred.clamp(0, 1)))
        if cfg.target_keeps_noise:
            target = _quantise(linear_to_srgb(noise(srgb_to_linear(target))))
        blurred = compress_batch(blurred, rng, cfg.jpeg_prob, cfg.h264_prob)
        blurred = _quantise(blurred)

        identity = rng.random(batch) < cfg.identity_prob
        if identity.any():
            kept = torch.as_tensor(identity, device=device)[:, None, None, None]
            target = torch.where(kept, self._identity_frames(sharp, identity), target)
            blurred = torch.where(kept, target, blurred)
        return blurred, target

    def _identity_frames(self, sharp: torch.Tensor, identity: np.ndarray) -> torch.Tensor:
        """The sharp frames as given, some of them noisy and compressed as a camera leaves
        them (input = target: the model learns to leave such frames alone, not to clean them)."""
        cfg, rng = self.config, self.rng
        degrade = identity & (rng.random(len(identity)) < cfg.degraded_identity_prob)
        if not degrade.any():
            return sharp
        chosen = torch.as_tensor(np.flatnonzero(degrade), device=sharp.device)
        linear = srgb_to_linear(sharp[chosen])
        noisy = compress_batch(linear_to_srgb(self._noise(linear)(linear)), rng, 0.5, 0.5)
        out = sharp.clone()
        out[chosen] = _quantise(noisy)
        return out

    def _defocus(self, sharp: torch.Tensor) -> torch.Tensor:
        """A lens blur (a disc of radius 1.5-6 px, in linear light) over a soft blob of some
        crops, or over all but the blob (a subject in focus before a soft background)."""
        rng, (batch, _, height, width) = self.rng, sharp.shape
        chosen = np.flatnonzero(rng.random(batch) < self.config.defocus_prob)
        if not len(chosen):
            return sharp
        out = sharp.clone()
        masks = soft_blobs(rng, len(chosen), height, width, sharp.device)
        for k, index in enumerate(chosen):
            radius = rng.uniform(1.5, 6.0)
            disc = _disc(radius, sharp.device).expand(3, 1, -1, -1)
            pad = disc.shape[-1] // 2
            linear = srgb_to_linear(sharp[index:index + 1])
            soft = F.conv2d(F.pad(linear, (pad,) * 4, mode="reflect"), disc, groups=3)
            mask = masks[k:k + 1] if rng.random() < 0.5 else 1 - masks[k:k + 1]
            out[index] = linear_to_srgb(mask * soft + (1 - mask) * linear)[0]
        return out

    @staticmethod
    def _boost(linear: torch.Tensor, srgb: torch.Tensor, gain: np.ndarray) -> torch.Tensor:
        """Near-white pixels stand for light brighter than the sensor's maximum: scale them up
        so their streaks still clip to white after averaging."""
        g = torch.as_tensor(gain, dtype=torch.float32, device=linear.device)[:, None, None, None]
        near_white = ((srgb.amax(dim=1, keepdim=True) - 0.9) / 0.1).clamp(0, 1)
        return linear * (1 + (g - 1) * near_white)

    def _noise(self, like: torch.Tensor):
        """One draw of Poisson-Gaussian noise (variance a*x + b, with a per-image chance of
        none) for batches shaped like `like`, as a function of linear light: applied to two
        images it gives both the same noise, each at its own brightness."""
        batch = like.shape[0]
        rng = self.rng
        on = rng.random(batch) < self.config.noise_prob
        shot = np.where(on, 10 ** rng.uniform(-4, -2.3, batch), 0.0)
        read = np.where(on, 10 ** rng.uniform(-6, -3.5, batch), 0.0)
        a = torch.as_tensor(shot, dtype=torch.float32, device=like.device)[:, None, None, None]
        b = torch.as_tensor(read, dtype=torch.float32, device=like.device)[:, None, None, None]
        gen = torch.Generator(device=like.device).manual_seed(int(rng.integers(2 ** 31)))
        unit = torch.randn(like.shape, generator=gen, device=like.device)

        def add(linear: torch.Tensor) -> torch.Tensor:
            return (linear + torch.sqrt(a * linear + b) * unit).clamp(0, 1)
        return add
