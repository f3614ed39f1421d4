"""The viewer on the bundled sample: it plays every frame in order, seeks, steps back and
forward frame-accurately (the pixels are those of the decoded frame), loops and pauses at the
end; the keyboard drives the compare view."""
from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractSlider

from app.viewer.compare_view import SIDE_BY_SIDE, SPLIT
from engine.sources.file import FileSource
from tests.videos import make_video
from tests.viewer_fixtures import (SAMPLE, WAIT_MS, shown_indices, small_clip,  # noqa: F401
                                   viewer, wait_for_frame)


def decoded(path, index: int) -> np.ndarray:
    source = FileSource(path)
    try:
        return next(iter(source.frames(index))).rgb
    finally:
        source.close()


def test_sample_plays_seeks_and_steps_frame_accurately(viewer, qtbot):
    seen = shown_indices(viewer)
    viewer.open_file(SAMPLE)
    qtbot.waitUntil(lambda: len(seen) >= 6, timeout=WAIT_MS)
    assert seen[:6] == list(range(6))              # every frame, in order, none skipped
    assert viewer.info.frame_count == 190 and viewer.slider.maximum() == 189
    assert viewer.shown.restored.shape == (360, 640, 3)
    assert "deblurganv2-mobilenet-dsc on torch" in viewer.shown.made_by

    qtbot.keyClick(viewer, Qt.Key.Key_Space)       # pause
    qtbot.waitUntil(lambda: not viewer.state.playing, timeout=WAIT_MS)
    viewer.slider.setSliderPosition(100)           # as a drag of the slider does
    viewer.slider.triggerAction(QAbstractSlider.SliderAction.SliderMove)
    wait_for_frame(qtbot, viewer, 100)
    assert viewer.time_label.text().startswith("00:04.00 / 00:07.60")
    assert np.array_equal(viewer.shown.rgb, decoded(SAMPLE, 100))

    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    wait_for_frame(qtbot, viewer, 101)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    wait_for_frame(qtbot, viewer, 99)
    assert np.array_equal(viewer.shown.rgb, decoded(SAMPLE, 99))
    assert viewer.slider.value() == 99 and not viewer.state.playing
    assert viewer.player.stats.dropped == 0


def test_loop_restarts_and_without_loop_playback_stops_at_the_end(viewer, qtbot, small_clip):
    seen = shown_indices(viewer)
    viewer.open_file(small_clip)
    qtbot.keyClick(viewer, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: viewer.state.loop, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: seen.count(0) >= 2, timeout=WAIT_MS)    # went round once
    assert seen[:13] == [*range(12), 0]
    viewer.loop_action.setChecked(False)
    # The end state may arrive just before the last frame is painted: wait for both.
    qtbot.waitUntil(lambda: viewer.state.at_end and seen[-1] == 11, timeout=WAIT_MS)
    assert not viewer.state.playing
    viewer.player.play()                            # from the end, play starts again
    qtbot.waitUntil(lambda: seen[-1] != 11, timeout=WAIT_MS)
    assert seen[-1] in (0, 1)


def test_keys_switch_compare_mode_zoom_help_and_full_screen(viewer, qtbot, small_clip):
    viewer.open_file(small_clip)
    # Any frame: the clip plays on, so waiting for one index would race with playback.
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    assert viewer.view.mode == SIDE_BY_SIDE
    qtbot.keyClick(viewer, Qt.Key.Key_S)
    assert viewer.view.mode == SPLIT and viewer.split_action.isChecked()
    qtbot.keyClick(viewer, Qt.Key.Key_A)
    assert viewer.view.swapped
    qtbot.keyClick(viewer, Qt.Key.Key_1)
    assert viewer.view.scale() == 1.0
    qtbot.keyClick(viewer, Qt.Key.Key_0)
    assert viewer.view.zoom is None
    qtbot.keyClick(viewer, Qt.Key.Key_F1)
    assert viewer.help.isVisible() and "Step one frame back" in viewer.help.text()
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.help.isVisible()
    qtbot.keyClick(viewer, Qt.Key.Key_F)
    qtbot.waitUntil(viewer.isFullScreen, timeout=WAIT_MS)
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not viewer.isFullScreen(), timeout=WAIT_MS)


def test_real_time_mode_skips_late_frames_and_every_frame_mode_shows_all(viewer, qtbot,
                                                                         tmp_path):
    # 120 frames at 1000 fps: faster than decoding, restoring and painting can go anywhere.
    clip = make_video(tmp_path / "quick.mp4", frames=120, rate=1000)
    seen = shown_indices(viewer)
    qtbot.keyClick(viewer, Qt.Key.Key_T)            # real time (the fixture turned it off)
    assert viewer.realtime_action.isChecked()
    viewer.open_file(clip)
    stats = viewer.player.stats
    qtbot.waitUntil(lambda: viewer.state.at_end and len(seen) + stats.dropped == 120,
                    timeout=WAIT_MS)                # every frame painted or counted as dropped
    assert len(seen) < 120 and seen == sorted(set(seen))   # late frames skipped, order kept

    qtbot.keyClick(viewer, Qt.Key.Key_T)            # every frame
    assert not viewer.realtime_action.isChecked()
    seen.clear()
    dropped = stats.dropped
    viewer.player.play()                            # from the end: again from the start
    qtbot.waitUntil(lambda: viewer.state.at_end and bool(seen) and seen[-1] == 119, timeout=WAIT_MS)
    assert seen == list(range(120)) and stats.dropped == dropped
