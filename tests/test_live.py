"""Live sources through the same pipeline: a real MPEG-TS stream over UDP on 127.0.0.1 from a
child process (including the stream going away and coming back), and a camera through a fake
capture device with cv2.VideoCapture's interface (granted settings, unplugged mid-run)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli import main
from engine.sources import camera
from engine.sources.camera import CameraSource
from engine.sources.file import FileSource
from engine.sources.stream import StreamSource

ROOT = Path(__file__).resolve().parent.parent


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sender():
    """Start tests/udp_sender.py streaming to a fresh port; the child is ended afterwards."""
    children = []

    def start(*phases: float) -> str:
        url = f"udp://127.0.0.1:{free_udp_port()}"
        children.append(subprocess.Popen([sys.executable, "-m", "tests.udp_sender", url,
                                          *map(str, phases)], cwd=ROOT))
        return url
    yield start
    for child in children:
        child.terminate()
        child.wait(10)


def recorded(path: Path) -> list:
    source = FileSource(path)
    frames = list(source)
    source.close()
    return frames


def test_udp_stream_is_restored_live(tmp_path, weights_dir, sender, capsys):
    url = sender(60)     # outlasts any model loading; ended by the fixture
    out = tmp_path / "live.mp4"
    assert main(["export", "--url", url, "--duration", "2", "-o", str(out), "--backend",
                 "torch"]) == 0
    frames = recorded(out)
    pts = [f.pts for f in frames]
    assert len(frames) >= 10 and pts == sorted(set(pts))
    assert frames[-1].time <= 2.5                       # about --duration of stream time
    summary = capsys.readouterr().err
    assert "dropped" in summary and "latency p50" in summary
    assert "temporal" not in summary       # live: single frames unless --temporal asks


def test_udp_stream_that_vanishes_is_reconnected(sender):
    url = sender(1.5, 2.0, 3.0)           # dark, silence, bright
    source = StreamSource(url, read_timeout=0.7, reconnects=6)
    seen = []
    for frame in source:
        seen.append((frame.pts, int(frame.rgb.mean() > 120)))
        if seen[-1][1]:
            break
    source.close()
    pts, bright = zip(*seen)
    assert source.reconnections >= 1 and bright[0] == 0 and bright[-1] == 1
    assert list(pts) == sorted(set(pts))
    gap = (pts[-1] - pts[-2]) * source.time_base
    assert gap > 1.0                      # the silence is kept in the timing, not squeezed out


class FakeCapture:
    """cv2.VideoCapture's interface over synthetic frames: reads block for one frame interval
    like a device; the driver grants `granted` whatever is asked; after `unplug_after` reads
    every read fails, as a V4L2 camera does when pulled out."""

    def __init__(self, index: int, granted=(320, 240, 30.0), unplug_after=None, opens=True,
                 delivers=True):
        self.opened, self.delivers, self.unplug_after = opens, delivers, unplug_after
        self.props = {cv2.CAP_PROP_FRAME_WIDTH: granted[0], cv2.CAP_PROP_FRAME_HEIGHT:
                      granted[1], cv2.CAP_PROP_FPS: granted[2]}
        self.requests, self.reads, self.released = {}, 0, False

    def isOpened(self) -> bool:
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.requests[prop] = value
        return True

    def get(self, prop: int) -> float:
        return float(self.props.get(prop, 0.0))

    def read(self):
        self.reads += 1
        if not self.delivers or (self.unplug_after and self.reads > self.unplug_after):
            return False, None
        time.sleep(1 / self.props[cv2.CAP_PROP_FPS])
        width, height = int(self.props[cv2.CAP_PROP_FRAME_WIDTH]), int(
            self.props[cv2.CAP_PROP_FRAME_HEIGHT])
        bgr = np.zeros((height, width, 3), np.uint8)
        bgr[..., 0] = 255                                  # blue in OpenCV's BGR
        return True, bgr

    def release(self) -> None:
        self.released = True


def test_camera_asks_for_mjpg_size_and_rate_and_reports_what_it_got():
    device = FakeCapture(0, granted=(640, 480, 30.0))
    source = CameraSource(0, width=1280, height=720, fps=30, capture_factory=lambda i: device)
    fourcc = int(device.requests[cv2.CAP_PROP_FOURCC])
    assert fourcc == cv2.VideoWriter_fourcc(*"MJPG")
    assert device.requests[cv2.CAP_PROP_FRAME_WIDTH] == 1280
    assert any("width 1280" in n and "640" in n for n in source.notes)
    assert not any("fps" in n for n in source.notes)
    frames = iter(source)
    first, second = next(frames), next(frames)
    assert first.rgb.shape == (480, 640, 3) and tuple(first.rgb[0, 0]) == (0, 0, 255)  # RGB
    assert second.pts > first.pts and second.t_captured > first.t_captured
    source.close()
    assert device.released


def test_camera_unplugged_mid_recording_keeps_a_playable_file(tmp_path, weights_dir,
                                                               monkeypatch, capsys):
    devices = []
    monkeypatch.setattr(camera, "open_capture", lambda i: devices.append(
        FakeCapture(i, granted=(64, 48, 50.0), unplug_after=40)) or devices[-1])
    out = tmp_path / "camera.mp4"
    assert main(["export", "--camera", "0", "--camera-size", "64x48", "--camera-fps", "50",
                 "--duration", "30", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "unplugged" in err and "kept" in err
    assert devices[0].requests[cv2.CAP_PROP_FRAME_WIDTH] == 64 and devices[0].released
    frames = recorded(out)
    assert 1 <= len(frames) <= 39 and [f.pts for f in frames] == sorted({f.pts for f in frames})
    assert frames[-1].time < 2.0          # real capture timing: 40 frames at 50 fps


@pytest.mark.parametrize("device", ["absent", "silent"])
def test_camera_that_gives_nothing_ends_in_one_line(tmp_path, weights_dir, monkeypatch, capsys,
                                                   device):
    if device == "silent":
        monkeypatch.setattr(camera, "open_capture", lambda i: FakeCapture(i, delivers=False))
    # "absent": the real OpenCV capture on an index no machine has.
    out = tmp_path / "camera.mp4"
    assert main(["export", "--camera", "99", "--duration", "1", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("deblur: camera 99: ")
    assert list(tmp_path.iterdir()) == [weights_dir]


def test_live_sources_need_a_duration(capsys):
    assert main(["export", "--camera", "0", "-o", "x.mp4"]) == 2
    assert "--duration" in capsys.readouterr().err
