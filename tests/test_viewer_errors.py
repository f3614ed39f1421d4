"""What goes wrong shows as a message in the window and the viewer goes on: a bad or missing
file, a backend this machine lacks, an untrained model, a camera that is unplugged. Files
also open by drag and drop."""
from __future__ import annotations

from PyQt6.QtCore import QMimeData, QPointF, Qt, QUrl
from PyQt6.QtGui import QDragEnterEvent, QDropEvent

from engine.sources.camera import CameraSource
from tests.test_live import FakeCapture
from tests.viewer_fixtures import WAIT_MS, small_clip, viewer  # noqa: F401


def test_bad_and_missing_files_show_a_message_and_the_viewer_goes_on(viewer, qtbot, tmp_path,
                                                                     small_clip):
    bad = tmp_path / "holiday.mp4"
    bad.write_bytes(b"this is not a video at all" * 100)
    viewer.open_file(bad)
    qtbot.waitUntil(viewer.banner.isVisible, timeout=WAIT_MS)
    assert "holiday.mp4" in viewer.banner.text and "not a video" in viewer.banner.text
    assert viewer.banner.kind == "error"
    viewer.open_file(tmp_path / "gone.mp4")
    qtbot.waitUntil(lambda: "gone.mp4: no such file" in viewer.banner.text, timeout=WAIT_MS)
    viewer.open_file(small_clip)                      # the viewer still works
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    assert not viewer.banner.isVisible()


def test_an_unavailable_backend_or_model_is_reported_and_the_old_one_kept(viewer, qtbot,
                                                                         small_clip,
                                                                         weights_dir):
    viewer.open_file(small_clip)
    viewer.loop_action.setChecked(True)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    viewer.switch_model("fast", backend="tensorrt")
    qtbot.waitUntil(lambda: "tensorrt" in viewer.banner.text, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: viewer.backend_combo.currentText() == "torch", timeout=WAIT_MS)
    assert viewer.restorer_label.text().startswith("deblurganv2-mobilenet-dsc on torch")
    for file in weights_dir.glob("mprnet-slim.*"):
        file.unlink()                                 # as if quality were not trained yet
    viewer.switch_model("quality")
    qtbot.waitUntil(lambda: "not trained yet" in viewer.banner.text, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: viewer.model_combo.currentText() == "fast", timeout=WAIT_MS)
    count = viewer.player.stats.displayed.count
    qtbot.waitUntil(lambda: viewer.player.stats.displayed.count > count + 2, timeout=WAIT_MS)
    assert viewer.shown.made_by.startswith("deblurganv2-mobilenet-dsc")


def test_an_unplugged_camera_is_reported_in_the_window(viewer, qtbot):
    device = FakeCapture(0, granted=(64, 48, 50.0), unplug_after=15)
    viewer.open_with(lambda: CameraSource(0, capture_factory=lambda index: device))
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    assert viewer.info.live and not viewer.slider.isEnabled()
    assert viewer.record_action.isEnabled() and not viewer.export_action.isEnabled()
    qtbot.waitUntil(lambda: "unplugged" in viewer.banner.text, timeout=WAIT_MS)
    assert viewer.banner.text.startswith("camera 0: stopped delivering frames")
    qtbot.waitUntil(lambda: device.released, timeout=WAIT_MS)   # the camera is let go


def test_a_file_dropped_on_the_window_opens(viewer, qtbot, small_clip):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(small_clip))])
    enter = QDragEnterEvent(QPointF(50, 50).toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    viewer.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    viewer.dropEvent(drop)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    assert viewer.info.name == str(small_clip) and "small.mp4" in viewer.windowTitle()


def test_the_camera_picker_lists_cameras_by_name(viewer, qtbot, tmp_path, monkeypatch):
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication, QInputDialog

    from engine.sources import camera_list
    from tests.test_camera_list import make_node
    make_node(tmp_path, "video0", "Integrated Camera", "0")
    make_node(tmp_path, "video1", "Integrated Camera", "1")
    make_node(tmp_path, "video42", "USB Camera", "0")
    monkeypatch.setattr(camera_list, "V4L2_SYSFS", tmp_path)   # a sysfs with two cameras
    offered = []

    def pick_the_usb_camera():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        offered.extend(dialog.comboBoxItems())
        dialog.setTextValue("42: USB Camera")
        dialog.accept()

    QTimer.singleShot(200, pick_the_usb_camera)
    viewer.open_camera_dialog()
    assert offered == ["0: Integrated Camera", "42: USB Camera"]
    # No camera 42 exists on this machine: the real OpenCV capture fails, and says what is here.
    qtbot.waitUntil(lambda: viewer.banner.text.startswith("camera 42: cannot be opened"),
                    timeout=WAIT_MS)
    assert "cameras here: 0: Integrated Camera, 42: USB Camera" in viewer.banner.text
