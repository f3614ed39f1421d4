"""A picture of the viewer for a person to look at (both compare modes, the bundled sample,
the shipped fast weights), and `deblur play` from the command line."""
from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage

from app.cli import main
from app.viewer.automation import save_screenshot
from engine.stages.temporal import DEFAULT_WINDOW
from tests.viewer_fixtures import SAMPLE, WAIT_MS, close_viewer, make_viewer, small_clip  # noqa


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    flat = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    rows = flat.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3)


def test_screenshot_of_both_modes_with_the_shipped_weights(qtbot, tmp_path):
    window = make_viewer(qtbot)              # models/weights: the shipped fast checkpoint
    try:
        window.open_file(SAMPLE)
        qtbot.waitUntil(lambda: window.player.stats.displayed.count >= 5, timeout=WAIT_MS)
        window.player.pause()
        qtbot.waitUntil(lambda: not window.state.playing, timeout=WAIT_MS)
        path = save_screenshot(window, tmp_path / "viewer.png")
        print(f"viewer screenshot: {path}")
        sheet = QImage(str(path))
        height = window.grab().height()
        assert sheet.width() == window.width() and sheet.height() == 2 * height
        side, split = pixels(sheet)[:height], pixels(sheet)[height:]
        assert not np.array_equal(side, split)
        view = window.view.geometry()         # both panes show a picture, and they differ
        middle = view.top() + view.height() // 2
        left = side[middle, view.left() + 40: view.left() + view.width() // 2 - 40]
        right = side[middle, view.left() + view.width() // 2 + 40: view.right() - 40]
        assert left.std() > 5 and right.std() > 5 and not np.array_equal(left, right)
        assert window.view.mode == "side-by-side"      # the window is left as it was
    finally:
        close_viewer(window)


def test_play_command_saves_a_screenshot_and_measures(qapp, weights_dir, tmp_path,
                                                      small_clip, capsys):
    png = tmp_path / "shot.png"
    assert main(["play", str(small_clip), "--backend", "torch", "--screenshot", str(png)]) == 0
    assert QImage(str(png)).height() > 0
    assert main(["play", str(small_clip), "--backend", "torch",
                 "--measure-responsiveness", "1"]) == 0
    out = capsys.readouterr().out
    assert "event loop: how late a 10 ms timer fired" in out and "paused (reference)" in out
    assert "displayed/processed" in out and "dropped" in out
    assert f"+ temporal reference (window {DEFAULT_WINDOW})" in out     # a file plays through it by default
    assert main(["play", str(small_clip), "--backend", "torch", "--no-temporal",
                 "--measure-responsiveness", "1"]) == 0
    assert "temporal" not in capsys.readouterr().out


def test_play_command_takes_one_source(capsys):
    assert main(["play", "clip.mp4", "--camera", "0"]) == 2
    assert "at most one of FILE" in capsys.readouterr().err
