"""Switching the model in a running viewer: the Restorer is rebuilt in the player's thread and
applies live, paused (the frame on screen is restored again) or playing (without reopening
the source); the backend in use is shown."""
from __future__ import annotations

import cv2
import numpy as np
from PyQt6.QtCore import Qt

from engine.stages.restorer import Restorer
from tests.videos import make_video, moving
from tests.viewer_fixtures import WAIT_MS, small_clip, viewer  # noqa: F401


def test_switching_the_model_applies_live(viewer, qtbot, tmp_path):
    # Motion-blurred, so that both models act (each gives a sharp frame back as it is)
    blurred_clip = make_video(tmp_path / "blurred.mp4", frames=12,
                              content=lambda i: cv2.blur(moving(i), (9, 1)))
    opened = []
    viewer.player.opened.connect(opened.append)
    viewer.open_file(blurred_clip)
    viewer.loop_action.setChecked(True)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    viewer.player.pause()
    qtbot.waitUntil(lambda: not viewer.state.playing, timeout=WAIT_MS)
    paused_at = viewer.shown.index
    fast_pixels = viewer.shown.restored.copy()

    viewer.switch_model("quality")
    qtbot.waitUntil(lambda: viewer.shown.made_by.startswith("mprnet-slim"), timeout=WAIT_MS)
    assert viewer.shown.index == paused_at             # the same frame, restored again
    frame = viewer.shown.rgb
    expected = Restorer("quality", "torch").restore(frame)
    assert np.array_equal(viewer.shown.restored, expected)
    assert not np.array_equal(viewer.shown.restored, fast_pixels)
    assert viewer.restorer_label.text() == "mprnet-slim on torch (cpu, fp32)"
    assert viewer.model_combo.currentText() == "quality"

    viewer.player.play()
    qtbot.waitUntil(lambda: viewer.state.playing, timeout=WAIT_MS)
    qtbot.keyClick(viewer, Qt.Key.Key_M)                     # next model: back to fast
    qtbot.waitUntil(lambda: viewer.shown.made_by.startswith("deblurganv2-mobilenet-dsc"),
                    timeout=WAIT_MS)
    assert viewer.state.playing and len(opened) == 1         # no restart of the source
    assert viewer.model_combo.currentText() == "fast"


def test_the_n_key_turns_the_temporal_reference_on_and_off(viewer, qtbot, small_clip):
    viewer.open_file(small_clip)
    viewer.loop_action.setChecked(True)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=WAIT_MS)
    qtbot.keyClick(viewer, Qt.Key.Key_N)
    # (a frame kept as shot is made by "temporal" alone: the model is not run on it)
    qtbot.waitUntil(lambda: "temporal" in viewer.shown.notes, timeout=WAIT_MS)
    assert viewer.shown.made_by.endswith("temporal") and viewer.temporal_action.isChecked()
    viewer._refresh_overlay()
    assert any(line.startswith("temporal:") for line in viewer.view.overlay_lines)
    qtbot.keyClick(viewer, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: "temporal" not in viewer.shown.notes, timeout=WAIT_MS)
    assert not viewer.shown.made_by.endswith("temporal")
