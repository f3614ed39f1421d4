"""Listing cameras from a V4L2 sysfs tree: capture nodes by name, in index order, without the
metadata nodes UVC cameras add; and the phrase error messages carry."""
from pathlib import Path

from engine.sources.camera_list import CameraInfo, describe_cameras, list_cameras


def make_node(sysfs: Path, node: str, name: str | None, index: str | None) -> None:
    folder = sysfs / node
    folder.mkdir(parents=True)
    if name is not None:
        (folder / "name").write_text(name + "\n")
    if index is not None:
        (folder / "index").write_text(index + "\n")


def test_capture_nodes_are_listed_by_name_in_index_order(tmp_path):
    make_node(tmp_path, "video10", "USB Camera", "0")
    make_node(tmp_path, "video11", "USB Camera", "1")        # its metadata node
    make_node(tmp_path, "video2", "Integrated Camera", "0")
    make_node(tmp_path, "video3", "Integrated Camera", "1")
    make_node(tmp_path, "video4", None, None)                # an old driver: no attributes
    make_node(tmp_path, "vbi0", "teletext", "0")             # not a video node
    assert list_cameras(tmp_path) == [CameraInfo(2, "Integrated Camera"),
                                      CameraInfo(4, "/dev/video4"), CameraInfo(10, "USB Camera")]
    assert describe_cameras(tmp_path) == ("cameras here: 2: Integrated Camera, "
                                          "4: /dev/video4, 10: USB Camera")


def test_no_sysfs_means_no_cameras(tmp_path):
    missing = tmp_path / "video4linux"
    assert list_cameras(missing) == []
    assert describe_cameras(missing) == f"no camera is listed in {missing}"
