"""One widget that paints the blurred and the restored frame in one paintEvent: side by side or
split-wiped by a draggable divider, with an A/B swap, and one zoom/pan shared by both panes
(fit, zoom around the cursor, 1:1 pixels). Frames are painted from QImages that wrap the numpy
buffers themselves; the arrays are kept referenced for as long as the images live."""
from __future__ import annotations

from typing import Any

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, \
    QWheelEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget

from engine.sinks.compare import MODES

SIDE_BY_SIDE, SPLIT = MODES
GAP = 4                 # pixels between the panes side by side
DIVIDER_GRAB = 8        # how near the divider (pixels) a press picks it up
MAX_ZOOM = 32.0
WHEEL_STEP = 1.25       # zoom factor per wheel notch
BACKGROUND = QColor(24, 24, 24)


class Picture:
    """A QImage over an RGB uint8 H x W x 3 array, without copying the pixels."""

    def __init__(self, rgb: np.ndarray):
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected uint8 H x W x 3, got {rgb.dtype} {rgb.shape}")
        if rgb.strides[1:] != (3, 1):   # rows may be padded; pixels must be packed
            rgb = np.ascontiguousarray(rgb)
        self.rgb = rgb   # the QImage points into this array: it must outlive the image
        height, width = rgb.shape[:2]
        self.image = QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


class CompareView(QWidget):
    painted = pyqtSignal(object)   # the token of a frame pair, the first time it is painted

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)   # we fill every pixel
        self.mode = SIDE_BY_SIDE
        self.swapped = False          # A/B: the restored frame on the left / left of the wipe
        self.divider = 0.5            # split position, a fraction of the width
        self.zoom: float | None = None   # image -> screen scale; None fits the pane
        self.center = (0.0, 0.0)      # the image point at the pane's centre when zoomed
        self.captions = ("blurred", "restored")
        self.overlay_lines: list[str] = []
        self.hint = "Open a video (Ctrl+O), a camera or a stream, or drop a file here"
        self.pictures: tuple[Picture, Picture] | None = None
        self._token: Any = None
        self._painted_token: Any = None
        self._drag: str | None = None   # 'divider' or 'pan'
        self._last_pos = QPointF()

    # What is shown.

    def set_frames(self, blurred: np.ndarray, restored: np.ndarray, token: Any = None) -> None:
        """Show a new pair (same size); `painted` carries `token` once it is on screen."""
        if blurred.shape != restored.shape:
            raise ValueError(f"frame sizes differ: {blurred.shape} vs {restored.shape}")
        resized = self.pictures is None or self.pictures[0].rgb.shape != blurred.shape
        self.pictures = (Picture(blurred), Picture(restored))
        self._token = token if token is not None else object()
        if resized:
            self.fit()
        self.update()

    def clear(self) -> None:
        self.pictures = None
        self.update()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        self.mode = mode
        self._clamp_center()
        self.update()

    def toggle_mode(self) -> None:
        self.set_mode(SPLIT if self.mode == SIDE_BY_SIDE else SIDE_BY_SIDE)

    def swap(self) -> None:
        """A/B: exchange which frame is on which side."""
        self.swapped = not self.swapped
        self.update()

    def set_divider(self, fraction: float) -> None:
        self.divider = min(max(fraction, 0.0), 1.0)
        self.update()

    # Zoom and pan, one transform for both panes.

    def panes(self) -> list[QRectF]:
        """The rectangles the two frames are drawn in (one shared rectangle when split)."""
        w, h = self.width(), self.height()
        if self.mode == SPLIT:
            return [QRectF(0, 0, w, h)] * 2
        half = (w - GAP) / 2
        return [QRectF(0, 0, half, h), QRectF(w - half, 0, half, h)]

    def fit_scale(self) -> float:
        if self.pictures is None:
            return 1.0
        pane = self.panes()[0]
        width, height = self.pictures[0].size
        return min(pane.width() / width, pane.height() / height)

    def scale(self) -> float:
        return self.fit_scale() if self.zoom is None else self.zoom

    def fit(self) -> None:
        self.zoom = None
        self.center = self._image_center()
        self.update()

    def actual_pixels(self, anchor: QPointF | None = None) -> None:
        """1:1: one image pixel on one screen pixel."""
        self.zoom_to(1.0, anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.zoom_to(self.scale() * factor, anchor)

    def zoom_to(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the image point under `anchor` (default: the pane centre) in place."""
        if self.pictures is None:
            return
        fit = self.fit_scale()
        if scale < min(fit, 1.0) or abs(scale - fit) < 1e-6:   # 1:1 stays reachable for
            self.fit()                                          # pictures smaller than the pane
            return
        scale = min(scale, MAX_ZOOM)
        pane = self._pane_at(anchor) if anchor is not None else self.panes()[0]
        anchor = anchor if anchor is not None else pane.center()
        fixed = self.map_to_image(anchor, pane)
        offset = anchor - pane.center()
        self.zoom = scale
        self.center = (fixed[0] - offset.x() / scale, fixed[1] - offset.y() / scale)
        self._clamp_center()
        self.update()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) screen pixels, in both panes."""
        if self.zoom is None:
            return
        self.center = (self.center[0] - dx / self.zoom, self.center[1] - dy / self.zoom)
        self._clamp_center()
        self.update()

    def map_to_image(self, point: QPointF, pane: QRectF | None = None) -> tuple[float, float]:
        """The image coordinates under a widget point (in the pane holding it)."""
        pane = pane if pane is not None else self._pane_at(point)
        offset = point - pane.center()
        scale = self.scale()
        center = self._view_center()
        return center[0] + offset.x() / scale, center[1] + offset.y() / scale

    def _pane_at(self, point: QPointF) -> QRectF:
        panes = self.panes()
        return panes[1] if panes[1].contains(point) and not panes[0].contains(point) \
            else panes[0]

    def _image_center(self) -> tuple[float, float]:
        if self.pictures is None:
            return 0.0, 0.0
        width, height = self.pictures[0].size
        return width / 2, height / 2

    def _view_center(self) -> tuple[float, float]:
        return self._image_center() if self.zoom is None else self.center

    def _clamp_center(self) -> None:
        if self.pictures is None:
            return
        width, height = self.pictures[0].size
        self.center = (min(max(self.center[0], 0.0), width), min(max(self.center[1], 0.0),
                                                                 height))

    def _divider_x(self) -> float:
        return self.divider * self.width()

    # Painting: both panes, captions and the stats overlay in one pass.

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self.pictures is None:
            painter.setPen(QColor(170, 170, 170))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, self.hint)
            painter.end()
            return
        first, second = (1, 0) if self.swapped else (0, 1)
        order = [(self.pictures[first], self.captions[first]),
                 (self.pictures[second], self.captions[second])]
        panes = self.panes()
        if self.mode == SPLIT:
            x = self._divider_x()
            clips = [QRectF(0, 0, x, self.height()), QRectF(x, 0, self.width() - x,
                                                            self.height())]
        else:
            clips = panes
        for (picture, _), pane, clip in zip(order, panes, clips):
            self._draw_picture(painter, picture, pane, clip)
        if self.mode == SPLIT:
            self._draw_divider(painter)
        self._draw_captions(painter, [caption for _, caption in order], clips)
        if self.overlay_lines:
            self._draw_overlay(painter)
        painter.end()
        if self._token is not self._painted_token:
            self._painted_token = self._token
            self.painted.emit(self._token)

    def _draw_picture(self, painter: QPainter, picture: Picture, pane: QRectF,
                      clip: QRectF) -> None:
        scale = self.scale()
        cx, cy = self._view_center()
        width, height = picture.size
        placed = QRectF(pane.center().x() - cx * scale, pane.center().y() - cy * scale,
                        width * scale, height * scale)
        visible = placed.intersected(clip)
        if visible.isEmpty():
            return
        source = QRectF((visible.x() - placed.x()) / scale, (visible.y() - placed.y()) / scale,
                        visible.width() / scale, visible.height() / scale)
        # Smooth when shrinking; nearest neighbour from 1:1 up, so pixels stay pixels.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.0)
        painter.drawImage(visible, picture.image, source)

    def _draw_divider(self, painter: QPainter) -> None:
        x = self._divider_x()
        painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        handle = QRectF(x - 5, self.height() / 2 - 18, 10, 36)
        painter.fillRect(handle, QColor(255, 255, 255, 220))

    def _draw_captions(self, painter: QPainter, captions: list[str], clips: list[QRectF]) -> None:
        painter.setFont(QFont("Sans", 9))
        metrics = painter.fontMetrics()
        for index, (caption, clip) in enumerate(zip(captions, clips)):
            width = metrics.horizontalAdvance(caption) + 12
            left = clip.left() + 6 if index == 0 or self.mode == SIDE_BY_SIDE \
                else clip.right() - width - 6
            box = QRectF(left, clip.bottom() - metrics.height() - 12, width, metrics.height() + 6)
            painter.fillRect(box, QColor(0, 0, 0, 150))
            painter.setPen(QColor(235, 235, 235))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, caption)

    def _draw_overlay(self, painter: QPainter) -> None:
        font = QFont("Monospace", 9)
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = max(metrics.horizontalAdvance(line) for line in self.overlay_lines) + 16
        height = metrics.lineSpacing() * len(self.overlay_lines) + 10
        box = QRectF(8, 8, width, height)
        painter.fillRect(box, QColor(0, 0, 0, 160))
        painter.setPen(QColor(120, 255, 140))
        for row, line in enumerate(self.overlay_lines):
            painter.drawText(QPointF(box.left() + 8, box.top() + 5 + metrics.ascent()
                                     + row * metrics.lineSpacing()), line)

    # Mouse: drag the divider or pan, wheel zooms at the cursor, double-click fit <-> 1:1.

    def _near_divider(self, point: QPointF) -> bool:
        return self.mode == SPLIT and abs(point.x() - self._divider_x()) <= DIVIDER_GRAB

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        point = event.position()
        self._drag = "divider" if self._near_divider(point) else "pan"
        self._last_pos = point
        if self._drag == "pan" and self.zoom is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = event.position()
        if self._drag == "divider":
            self.set_divider(point.x() / max(self.width(), 1))
        elif self._drag == "pan":
            delta = point - self._last_pos
            self.pan_by(delta.x(), delta.y())
        else:
            self.setCursor(Qt.CursorShape.SplitHCursor if self._near_divider(point)
                           else Qt.CursorShape.ArrowCursor)
        self._last_pos = point

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.unsetCursor()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.zoom is None:
            self.actual_pixels(event.position())
        else:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom_by(WHEEL_STEP ** notches, event.position())

    def resizeEvent(self, event) -> None:
        self._clamp_center()
        super().resizeEvent(event)
