"""Fixtures for the viewer tests: a real ViewerWindow (offscreen Qt, real decoding and
inference with the test weights on the torch backend), closed and joined afterwards, and a
helper that waits for a given frame to be on screen."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.stages.restorer import RestorerSettings
from app.viewer.window import ViewerWindow
from tests.videos import make_video

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "city_shake.mp4"
WAIT_MS = 120_000   # generous: the machine is shared with training jobs; never a speed check


def make_viewer(qtbot, settings: RestorerSettings = RestorerSettings("fast", "torch")):
    window = ViewerWindow(settings)
    window.resize(960, 400)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()   # shortcuts need the window active
    qtbot.waitActive(window)
    qtbot.waitUntil(lambda: window.restorer_label.text().startswith(("deblurgan", "mprnet")),
                    timeout=WAIT_MS)
    # Every frame, so that tests can follow frame indices on a loaded machine; real-time
    # skipping has its own test.
    window.realtime_action.setChecked(False)
    return window


def close_viewer(window: ViewerWindow) -> None:
    window.close()
    assert window.player.wait(60), "the player thread did not finish"


@pytest.fixture
def viewer(qtbot, weights_dir):
    window = make_viewer(qtbot)
    yield window
    close_viewer(window)


@pytest.fixture
def small_clip(tmp_path) -> Path:
    """12 frames of 64 x 48 at 25 fps: quick to restore with either model."""
    return make_video(tmp_path / "small.mp4", frames=12)


def wait_for_frame(qtbot, window: ViewerWindow, index: int) -> None:
    qtbot.waitUntil(lambda: window.shown is not None and window.shown.index == index,
                    timeout=WAIT_MS)


def shown_indices(window: ViewerWindow) -> list[int]:
    """Collects the index of every frame as it is first painted."""
    seen: list[int] = []
    window.view.painted.connect(lambda shown: seen.append(shown.index))
    return seen
