"""The compare view on its own (no model, no video): pictures wrap the numpy buffers without a
copy, both modes paint both frames, the divider drags, A/B swaps, and zoom/pan are one
transform for both panes with an exact 1:1."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QImage

from app.viewer.compare_view import SIDE_BY_SIDE, SPLIT, CompareView, Picture
from app.viewer.pacing import LatestSlot

RED, BLUE = (220, 20, 20), (20, 20, 220)


def solid(colour, width=80, height=40) -> np.ndarray:
    return np.tile(np.array(colour, np.uint8), (height, width, 1))


def rgb_at(image: QImage, x: float, y: float) -> tuple[int, int, int]:
    colour = image.pixelColor(int(x), int(y))
    return colour.red(), colour.green(), colour.blue()


@pytest.fixture
def view(qtbot):
    widget = CompareView()
    widget.resize(400, 200)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_picture_points_into_the_array_itself():
    rgb = solid(RED, 5, 4)
    picture = Picture(rgb)
    assert int(picture.image.constBits()) == rgb.ctypes.data   # the same memory: no copy
    rgb[1, 2] = (1, 2, 3)
    assert rgb_at(picture.image, 2, 1) == (1, 2, 3)
    strided = np.zeros((4, 10, 3), np.uint8)[:, ::2]          # pixels not packed: copied once
    assert Picture(strided).rgb.flags.c_contiguous


def test_latest_slot_keeps_only_the_newest_frame():
    slot = LatestSlot()
    assert slot.put("a") is True                  # the GUI is told once ...
    assert slot.put("b") is False and slot.put("c") is False   # ... later ones replace
    assert slot.take() == "c" and slot.take() is None and slot.replaced == 2


def test_side_by_side_split_and_swap_paint_both_frames_in_one_view(view, qtbot):
    painted = []
    view.painted.connect(painted.append)
    view.set_frames(solid(RED), solid(BLUE), token="pair")
    shot = view.grab().toImage()
    assert rgb_at(shot, 100, 100) == RED and rgb_at(shot, 300, 100) == BLUE
    assert painted == ["pair"]                    # the first paint of a pair is reported once
    view.set_mode(SPLIT)
    view.set_divider(0.3)
    shot = view.grab().toImage()
    assert rgb_at(shot, 0.2 * 400, 100) == RED and rgb_at(shot, 0.6 * 400, 100) == BLUE
    view.swap()
    shot = view.grab().toImage()
    assert rgb_at(shot, 0.2 * 400, 100) == BLUE and rgb_at(shot, 0.6 * 400, 100) == RED
    view.toggle_mode()
    assert view.mode == SIDE_BY_SIDE and painted == ["pair"]


def test_the_divider_follows_a_drag(view, qtbot):
    view.set_frames(solid(RED), solid(BLUE))
    view.set_mode(SPLIT)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(200, 100))
    qtbot.mouseMove(view, QPoint(100, 100))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    assert view.divider == pytest.approx(0.25)
    shot = view.grab().toImage()
    assert rgb_at(shot, 80, 100) == RED and rgb_at(shot, 130, 100) == BLUE


def test_one_to_one_zoom_and_pan_are_shared_by_both_panes(view, qtbot):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (120, 200, 3), dtype=np.uint8)
    b = 255 - a
    view.set_frames(a, b)
    view.actual_pixels()
    view.pan_by(-30, 10)              # image point (130, 50) now at each pane's centre
    assert view.scale() == 1.0 and view.center == (130.0, 50.0)
    shot = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    screen = np.frombuffer(shot.constBits().asstring(shot.sizeInBytes()), np.uint8)
    screen = screen.reshape(shot.height(), shot.bytesPerLine())[:, :shot.width() * 3]
    screen = screen.reshape(shot.height(), shot.width(), 3)
    for pane, picture in zip(view.panes(), (a, b)):
        left = int(pane.center().x() - 130)
        top = int(pane.center().y() - 50)
        # the 1:1 crop around the shared centre, clear of the pane edges and captions
        x0, y0 = max(left, int(pane.left())) + 2, top + 2
        width, height = 60, 60
        expected = picture[y0 - top:y0 - top + height, x0 - left:x0 - left + width]
        assert np.array_equal(screen[y0:y0 + height, x0:x0 + width], expected)


def test_wheel_zoom_keeps_the_point_under_the_cursor(view, qtbot):
    view.set_frames(solid(RED, 200, 100), solid(BLUE, 200, 100))
    cursor = QPointF(60, 70)
    before = view.map_to_image(cursor)
    view.zoom_by(3.0, cursor)
    assert view.zoom == pytest.approx(3 * view.fit_scale())
    assert view.map_to_image(cursor) == pytest.approx(before)
    right_pane = view.panes()[1]      # the same point in the other pane is the same pixel
    twin = QPointF(cursor.x() + right_pane.left(), cursor.y())
    assert view.map_to_image(twin, right_pane) == pytest.approx(before)
    view.zoom_by(0.01)                # below fit: back to fit
    assert view.zoom is None
