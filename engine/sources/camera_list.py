"""The cameras this machine has, for the viewer's picker and for error messages. On Linux they
are the V4L2 capture nodes under /sys/class/video4linux, with the driver's name for each;
elsewhere nothing is listed and the picker asks for an index instead."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

V4L2_SYSFS = Path("/sys/class/video4linux")


@dataclass(frozen=True)
class CameraInfo:
    index: int      # N of /dev/videoN, what --camera and cv2.VideoCapture take
    name: str

    def label(self) -> str:
        return f"{self.index}: {self.name}"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return None


def list_cameras(sysfs: Path | None = None) -> list[CameraInfo]:
    """Capture nodes in index order. A UVC camera exposes a second node for metadata, whose
    sysfs `index` is 1: it delivers no pictures, so it is left out."""
    sysfs, cameras = sysfs or V4L2_SYSFS, []
    for node in sysfs.glob("video*"):
        number = node.name[len("video"):]
        if not number.isdigit() or _read(node / "index") not in (None, "0"):
            continue
        cameras.append(CameraInfo(int(number), _read(node / "name") or f"/dev/{node.name}"))
    return sorted(cameras, key=lambda camera: camera.index)


def describe_cameras(sysfs: Path | None = None) -> str:
    """One phrase for messages: 'cameras here: 0: Integrated Camera' or 'no camera is listed'."""
    cameras = list_cameras(sysfs)
    if not cameras:
        return f"no camera is listed in {sysfs or V4L2_SYSFS}"
    return "cameras here: " + ", ".join(camera.label() for camera in cameras)
