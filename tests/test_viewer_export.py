"""Export from the viewer: the dialog runs the engine's export in the background with a
progress bar, the file keeps its sound; cancel leaves nothing behind; a live camera is
recorded from the window."""
from __future__ import annotations

from PyQt6.QtCore import Qt

from engine.sources.camera import CameraSource
from engine.sources.file import FileSource
from tests.test_live import FakeCapture
from tests.videos import make_video, packets
from tests.viewer_fixtures import SAMPLE, WAIT_MS, viewer  # noqa: F401


def frames_in(path) -> list:
    source = FileSource(path)
    try:
        return list(source)
    finally:
        source.close()


def test_export_from_the_dialog_with_progress(viewer, qtbot, tmp_path):
    clip = make_video(tmp_path / "clip.mp4", frames=24, width=96, height=64, audio=True)
    viewer.open_file(clip)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    qtbot.keyClick(viewer, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = viewer.export_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    output = tmp_path / "restored.mkv"
    dialog.output_edit.setText(str(output))
    dialog.codec_combo.setCurrentText("libx264")
    dialog.quality_spin.setValue(23)
    progress = []
    dialog.progress_bar.valueChanged.connect(progress.append)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=WAIT_MS)
    assert progress == sorted(progress) and progress[-1] == 24
    assert dialog.progress_bar.maximum() == 24 and "saved" in dialog.status_label.text()
    assert dialog.result.output == output and len(frames_in(output)) == 24
    assert packets(output, "audio")                     # the sound came along
    assert dialog.export_button.isEnabled() and not dialog.busy


def test_cancelling_an_export_leaves_no_file(viewer, qtbot, tmp_path):
    viewer.open_file(SAMPLE)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    viewer.player.pause()
    viewer.show_export_dialog()
    dialog = viewer.export_dialog
    output = tmp_path / "out" / "restored.mp4"
    output.parent.mkdir()
    dialog.output_edit.setText(str(output))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 2, timeout=WAIT_MS)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert "cancelled" in dialog.status_label.text()
    assert list(output.parent.iterdir()) == []          # no output, no temporary file


def test_export_refuses_an_existing_file_in_the_dialog(viewer, qtbot, tmp_path):
    viewer.open_file(SAMPLE)
    qtbot.waitUntil(lambda: viewer.info is not None, timeout=WAIT_MS)
    viewer.show_export_dialog()
    taken = tmp_path / "taken.mp4"
    taken.write_bytes(b"keep me")
    viewer.export_dialog.output_edit.setText(str(taken))
    viewer.export_dialog.start()
    assert "exists" in viewer.export_dialog.status_label.text() and not viewer.export_dialog.busy
    assert taken.read_bytes() == b"keep me"


def test_the_dialog_picks_a_codec_the_container_holds(viewer, qtbot, tmp_path):
    viewer.open_file(SAMPLE)
    qtbot.waitUntil(lambda: viewer.info is not None, timeout=WAIT_MS)
    viewer.show_export_dialog()
    dialog = viewer.export_dialog
    assert dialog.codec_combo.currentText() == "libx264"
    dialog.output_edit.setText(str(tmp_path / "restored.webm"))    # WebM: VP8/VP9/AV1 only
    assert dialog.codec_combo.currentText() == "libvpx-vp9"
    dialog.codec_combo.setCurrentText("libx264")                    # forced back by hand
    dialog.start()
    assert "cannot hold libx264" in dialog.status_label.text() and not dialog.busy


def test_recording_a_live_camera(viewer, qtbot, tmp_path):
    viewer.open_with(lambda: CameraSource(0, capture_factory=lambda i: FakeCapture(
        i, granted=(64, 48, 50.0))))
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    viewer.show_export_dialog()                         # a camera is recorded, not exported
    assert "Export restores a video file" in viewer.banner.text
    target = tmp_path / "camera.mp4"
    viewer.start_recording(target)
    qtbot.waitUntil(lambda: viewer.state.recording == str(target), timeout=WAIT_MS)
    assert viewer.record_action.isChecked()
    count = viewer.player.stats.displayed.count
    qtbot.waitUntil(lambda: viewer.player.stats.displayed.count >= count + 10, timeout=WAIT_MS)
    viewer.stop_recording()
    qtbot.waitUntil(lambda: viewer.state.recording is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: viewer.banner.text.startswith("recorded"), timeout=WAIT_MS)
    assert not viewer.record_action.isChecked()
    frames = frames_in(target)
    assert len(frames) >= 10 and frames[0].pts == 0
    assert [f.pts for f in frames] == sorted({f.pts for f in frames})
    assert frames[0].rgb.shape == (48, 64, 3)
