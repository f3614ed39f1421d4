"""Small test videos made with PyAV: colour patches, moving content, sound, subtitles,
variable frame rate, odd sizes, 10-bit, rotation metadata."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

PATCHES = np.array([(200, 30, 40), (20, 180, 60), (30, 40, 220), (240, 240, 20)], np.uint8)


def patches(width: int = 64, height: int = 48) -> np.ndarray:
    """Four flat colour quadrants: what a colour round trip is judged on (away from edges)."""
    rgb = np.empty((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    for k, (ys, xs) in enumerate([(slice(0, h), slice(0, w)), (slice(0, h), slice(w, None)),
                                  (slice(h, None), slice(0, w)), (slice(h, None), slice(w, None))]):
        rgb[ys, xs] = PATCHES[k]
    return rgb


def moving(index: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A gradient with a bright square that moves with the frame index."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                    np.full_like(x, 90)], axis=-1).astype(np.uint8)
    s = (index * 3) % max(width - 8, 1)
    rgb[8:16, s:s + 8] = 255
    return rgb


def patch_means(rgb: np.ndarray) -> np.ndarray:
    """Mean colour of each quadrant's centre (4 x 3)."""
    h, w = rgb.shape[0] // 2, rgb.shape[1] // 2
    qh, qw = h // 4, w // 4
    return np.array([rgb[y0 + qh:y0 + h - qh, x0 + qw:x0 + w - qw].reshape(-1, 3).mean(0)
                     for y0 in (0, h) for x0 in (0, w)])


def make_video(path: Path, frames: int = 12, width: int = 64, height: int = 48, *,
               codec: str = "libx264", pix_fmt: str = "yuv420p", rate: int = 25,
               pts: list[int] | None = None, time_base: Fraction | None = None,
               matrix: str | None = None, colour_range: str = "MPEG",
               audio: bool | str = False, subtitles: bool = False, rotation: int | None = None,
               content=None, options: dict | None = None) -> Path:
    """Write a video; `pts` (in `time_base`, default 1/rate) makes it variable-rate, `matrix`
    ('itu709', 'itu601') converts and tags the colour, `content(i)` gives frame i's RGB,
    `audio` adds a stereo tone track (True: AAC, or a codec name)."""
    content = content or (lambda i: moving(i, width, height))
    time_base = time_base or Fraction(1, rate)
    pts = pts if pts is not None else list(range(frames))
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=rate, options={"g": "5", **(options or {})})
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        video.time_base = video.codec_context.time_base = time_base
        if matrix:
            tag = {"itu709": 1, "itu601": 6}[matrix]
            cc = video.codec_context
            cc.colorspace = cc.color_primaries = cc.color_trc = tag
            cc.color_range = {"MPEG": 1, "JPEG": 2}[colour_range]
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac" if audio is True else audio, rate=48000) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        text = out.add_mux_stream("subrip") if subtitles else None
        if text is not None:
            text.time_base = Fraction(1, 1000)
        samples = 0
        for i, stamp in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(content(i), format="rgb24")
            if matrix:
                frame = frame.reformat(format=pix_fmt, dst_colorspace=matrix,
                                       dst_color_range=colour_range)
            frame.pts, frame.time_base = stamp, time_base
            out.mux(video.encode(frame))
            seconds = float((stamp + 1) * time_base)
            while sound is not None and samples < seconds * 48000:
                tone = np.sin(2 * np.pi * 440 * (samples + np.arange(1024)) / 48000)
                chunk = av.AudioFrame.from_ndarray(
                    np.repeat(tone[None], 2, 0).astype(np.float32), format="fltp",
                    layout="stereo")
                chunk.sample_rate, chunk.pts = 48000, samples
                out.mux(sound.encode(chunk))
                samples += 1024
            if text is not None and i % 4 == 0:
                packet = av.Packet(f"line {i}".encode())
                packet.stream, packet.time_base = text, Fraction(1, 1000)
                packet.pts = packet.dts = round(float(stamp * time_base) * 1000)
                packet.duration = 100
                out.mux(packet)
        out.mux(video.encode(None))
        if sound is not None:
            out.mux(sound.encode(None))
    return path


def make_corrupt(folder: Path, frames: int) -> Path:
    """An MP4 of noise frames (so every frame is many packets' worth of bytes) with a stretch
    of bytes flipped a third of the way in: damaged packets mid-stream, intact container."""
    good = make_video(folder / "good.mp4", frames, 96, 64, content=lambda i: np.random.default_rng(
        i).integers(0, 255, (64, 96, 3), np.uint8))
    data = bytearray(good.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 3000, 7):
        data[offset] ^= 0xFF
    bad = folder / "bad.mp4"
    bad.write_bytes(bytes(data))
    return bad


def make_audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        sound = out.add_stream("aac", rate=48000)
        for k in range(10):
            chunk = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                               layout="mono")
            chunk.sample_rate, chunk.pts = 48000, k * 1024
            out.mux(sound.encode(chunk))
        out.mux(sound.encode(None))
    return path


def make_undecodable(path: Path) -> Path:
    """A Matroska file whose video codec (AVS3) this FFmpeg build has no decoder for."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_mux_stream("avs3", width=64, height=48)
        stream.time_base = Fraction(1, 25)
        for i in range(5):
            packet = av.Packet(bytes(range(200)))
            packet.stream, packet.pts, packet.dts = stream, i, i
            out.mux(packet)
    return path


def packets(path: Path, kind: str) -> list[tuple[bytes, float]]:
    """(payload, time in seconds) of every packet of the first stream of `kind`."""
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams if s.type == kind)
        return [(bytes(p), float(p.pts * p.time_base)) for p in container.demux(stream)
                if p.size]


def frame_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(f.pts * f.time_base) for f in container.decode(video=0)]


def make_deep_video(path: Path, frames: int = 4, *, codec: str = "ffv1",
                    pix_fmt: str = "yuv420p10le", options: dict | None = None,
                    second_video: bool = False) -> Path:
    """A high-bit-depth video of a fine 16-bit ramp (shades 8 bits cannot tell apart), made
    from rgb48 frames; `second_video` adds a small 8-bit H.264 stream after it."""
    y, x = np.mgrid[0:48, 0:64]
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=25, options={"g": "5", **(options or {})})
        video.width, video.height, video.pix_fmt = 64, 48, pix_fmt
        extra = out.add_stream("libx264", rate=25) if second_video else None
        if extra is not None:
            extra.width, extra.height, extra.pix_fmt = 32, 32, "yuv420p"
        for i in range(frames):
            ramp = (16000 + x * 60 + y * 20 + i * 7).astype(np.uint16)
            rgb = np.dstack([ramp, ramp[::-1], 30000 - ramp[:, ::-1] // 2])
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le").reformat(format=pix_fmt)
            frame.pts = i
            out.mux(video.encode(frame))
            if extra is not None:
                small = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), "rgb24")
                small.pts = i
                out.mux(extra.encode(small))
        out.mux(video.encode(None))
        if extra is not None:
            out.mux(extra.encode(None))
    return path
