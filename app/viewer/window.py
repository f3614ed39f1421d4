"""The viewer's main window: the compare view, playback controls, model and backend pickers,
menus whose actions carry the keyboard shortcuts (listed in the help overlay), drag-and-drop,
and a non-modal banner for errors. It talks to the Player by commands and signals only."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PyQt6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel,
                             QMainWindow, QMenu, QSlider, QToolButton, QVBoxLayout, QWidget)

import models
from app.viewer.banner import MessageBanner
from app.viewer.compare_view import SIDE_BY_SIDE, SPLIT, CompareView
from app.viewer.help_overlay import HelpOverlay
from app.viewer.open_dialogs import VIDEO_FILTER, ask_for_camera, ask_for_file, ask_for_url
from app.viewer.player import Player
from app.viewer.session import Opener, PlayState, SourceInfo
from engine.backends import backend_choices
from engine.frames import Frame
from engine.stages.restorer import RestorerSettings
from engine.sources import open_source
from engine.stages.temporal import DEFAULT_WINDOW, describe_temporal

OVERLAY_REFRESH_MS = 500
JUMP_SECONDS = 1.0


def format_time(seconds: float) -> str:
    minutes, seconds = divmod(max(float(seconds), 0.0), 60)
    return f"{int(minutes):02d}:{seconds:05.2f}"


class ViewerWindow(QMainWindow):
    def __init__(self, settings: RestorerSettings = RestorerSettings(),
                 temporal: int | None = None):
        super().__init__()
        self.setWindowTitle("deblur viewer")
        self.resize(1280, 520)
        self.setAcceptDrops(True)
        self.shown: Frame | None = None          # on screen: its input and restoration
        self.info: SourceInfo | None = None
        self.state = PlayState(playing=False, loop=False, at_end=False, recording=None)
        self.settings = settings                 # what the Player reports in use
        self.source_path: Path | None = None     # the open file (None for live sources)
        self.export_dialog = None
        self.temporal_window = temporal or DEFAULT_WINDOW   # what the N key turns on
        self.player = Player(settings, self, temporal)
        self.view = CompareView()
        self.view.painted.connect(self._painted)
        self.banner = MessageBanner()
        self.help = HelpOverlay(self.view)
        self._build_actions()
        self.temporal_action.setChecked(temporal is not None)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.view, 1)
        layout.addWidget(self._build_controls())
        self.setCentralWidget(central)
        self.statusBar().showMessage("loading the model …")
        self._connect_player()
        self.overlay_timer = QTimer(self, interval=OVERLAY_REFRESH_MS)
        self.overlay_timer.timeout.connect(self._refresh_overlay)
        self.overlay_timer.start()
        self.player.start()

    # Building.

    def _action(self, menu: QMenu, text: str, keys: str | list[str], slot: Callable,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in ([keys] if isinstance(keys, str)
                                                       else keys)])
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(slot)
        else:   # triggered's `checked` argument would land in the slot's optional parameters
            action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)   # shortcuts work with the menu bar hidden (full screen)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file, play, view, model = (bar.addMenu(name) for name in
                                   ("&File", "&Playback", "&View", "&Model"))
        a = self._action
        self.open_action = a(file, "Open file…", "Ctrl+O", self.open_file_dialog)
        self.camera_action = a(file, "Open camera…", "Ctrl+K", self.open_camera_dialog)
        self.url_action = a(file, "Open stream URL…", "Ctrl+U", self.open_url_dialog)
        file.addSeparator()
        self.export_action = a(file, "Export restored video…", "Ctrl+E", self.show_export_dialog)
        self.record_action = a(file, "Record the live source", "R", self._record_toggled,
                               checkable=True)
        file.addSeparator()
        a(file, "Quit", "Ctrl+Q", self.close)
        self.play_action = a(play, "Play / pause", "Space", self.player.toggle)
        self.step_back_action = a(play, "Step one frame back", "Left",
                                  lambda: self.player.step(-1))
        self.step_forward_action = a(play, "Step one frame forward", "Right",
                                     lambda: self.player.step(1))
        a(play, f"Back {JUMP_SECONDS:g} s", "Shift+Left", lambda: self._jump(-JUMP_SECONDS))
        a(play, f"Forward {JUMP_SECONDS:g} s", "Shift+Right", lambda: self._jump(JUMP_SECONDS))
        a(play, "To the start", "Home", lambda: self.player.seek(0))
        self.loop_action = a(play, "Loop", "L", self.player.set_loop, checkable=True)
        self.realtime_action = a(play, "Keep real time (skip late frames)", "T",
                                 self.player.set_realtime, checkable=True)
        self.realtime_action.setChecked(True)
        self.split_action = a(view, "Split wipe (else side by side)", "S",
                              lambda on: self.view.set_mode(SPLIT if on else SIDE_BY_SIDE),
                              checkable=True)
        self.swap_action = a(view, "Swap A/B (blurred <-> restored)", "A", self.view.swap)
        a(view, "Fit", "0", self.view.fit)
        a(view, "1:1 pixels", "1", self.view.actual_pixels)
        a(view, "Zoom in", ["+", "="], lambda: self.view.zoom_by(1.25))
        a(view, "Zoom out", "-", lambda: self.view.zoom_by(0.8))
        self.overlay_action = a(view, "Stats overlay", "I", self._refresh_overlay,
                                checkable=True)
        self.overlay_action.setChecked(True)
        self.fullscreen_action = a(view, "Full screen", "F", self._set_full_screen,
                                   checkable=True)
        self.help_action = a(view, "Keyboard help", ["F1", "H", "?"], self.help.toggle)
        a(view, "Leave full screen / close help", "Esc", self._escape)
        self.next_model_action = a(model, "Next model", "M", self._next_model)
        self.temporal_action = a(model, "Temporal reference (detail from sharper neighbours)",
                                 "N", lambda on: self.player.set_temporal(
                                     self.temporal_window if on else None), checkable=True)
        self.help.set_actions({menu.title().replace("&", ""): menu.actions()
                               for menu in (file, play, view, model)})

    def _build_controls(self) -> QWidget:
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 4, 6, 4)
        for action, label in ((self.step_back_action, "◀❙"), (self.play_action, "▶"),
                              (self.step_forward_action, "❙▶")):
            action.setIconText(label)   # the buttons' face; the menus keep the full text
            button = QToolButton()
            button.setDefaultAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # keys belong to the shortcuts
            row.addWidget(button)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(200)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.setEnabled(False)
        self.slider.actionTriggered.connect(lambda _: self.player.seek(
            self.slider.sliderPosition()))
        row.addWidget(self.slider, 1)
        self.time_label = QLabel("--:--.-- / --:--.--")
        row.addWidget(self.time_label)
        loop = QToolButton()
        loop.setDefaultAction(self.loop_action)
        loop.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(loop)
        self.model_combo = QComboBox()
        self.model_combo.addItems(list(models.ALIASES))
        self.backend_combo = QComboBox()
        self.backend_combo.addItems(backend_choices())
        for combo in (self.model_combo, self.backend_combo):
            combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            combo.activated.connect(self._restorer_picked)
        self._show_settings(self.settings)
        row.addWidget(QLabel("model"))
        row.addWidget(self.model_combo)
        row.addWidget(QLabel("backend"))
        row.addWidget(self.backend_combo)
        self.restorer_label = QLabel("loading …")   # the backend in use, in the status bar
        self.statusBar().addPermanentWidget(self.restorer_label)
        return bar

    def _connect_player(self) -> None:
        p = self.player
        p.frameReady.connect(self._take_frame)
        p.opened.connect(self._opened)
        p.restorerChanged.connect(self._restorer_changed)
        p.stateChanged.connect(self._state_changed)
        p.failed.connect(self.show_error)
        p.notice.connect(lambda text: self.banner.show_message(text, "notice"))

    # Opening sources.

    def open_file(self, path: Path | str) -> None:
        self.open_with(lambda: open_source(Path(path)))

    def open_camera(self, index: int) -> None:
        self.open_with(lambda: open_source(camera=index))

    def open_url(self, url: str) -> None:
        self.open_with(lambda: open_source(url=url))

    def open_with(self, opener: Opener) -> None:
        """Open any source; the opener runs in the player's thread (it may block)."""
        self.banner.hide()
        self.statusBar().showMessage("opening …")
        self.player.open(opener)

    def open_file_dialog(self) -> None:
        if (path := ask_for_file(self)) is not None:
            self.open_file(path)

    def open_camera_dialog(self) -> None:
        if (index := ask_for_camera(self)) is not None:
            self.open_camera(index)

    def open_url_dialog(self) -> None:
        if (url := ask_for_url(self)) is not None:
            self.open_url(url)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if not urls:
            return
        event.acceptProposedAction()
        url = urls[0]
        if url.isLocalFile():
            self.open_file(url.toLocalFile())
        else:
            self.open_url(url.toString())

    # Export and recording.

    def show_export_dialog(self) -> None:
        if self.source_path is None:
            self.show_error("Export restores a video file: open one first (a live camera or "
                            "stream is recorded with R)")
            return
        from app.viewer.export_dialog import ExportDialog
        if self.export_dialog is None or not self.export_dialog.busy:
            self.export_dialog = ExportDialog(
                self.source_path, self.settings, self,
                self.temporal_window if self.temporal_action.isChecked() else None)
        self.export_dialog.show()
        self.export_dialog.raise_()

    def start_recording(self, path: Path | str) -> None:
        self.player.record(Path(path))

    def stop_recording(self) -> None:
        self.player.record(None)

    def _record_toggled(self, on: bool) -> None:
        if on == bool(self.state.recording):
            return   # the state echoing back
        if not on:
            self.stop_recording()
            return
        path, _ = QFileDialog.getSaveFileName(self, "Record to", "recording.mp4", VIDEO_FILTER)
        if path:
            self.start_recording(path)
        else:
            self._sync_checked(self.record_action, False)

    # Player signals.

    def _take_frame(self) -> None:
        shown = self.player.take_frame()
        if shown is None:
            return
        self.shown = shown
        self.view.captions = ("A: blurred input", f"B: restored — {shown.made_by}")
        self.view.set_frames(shown.rgb, shown.output, token=shown)
        if self.info is not None and self.info.seekable:
            self.slider.blockSignals(True)
            self.slider.setValue(shown.index)
            self.slider.blockSignals(False)
        self.time_label.setText(self._time_text(shown))

    def _painted(self, shown: Frame) -> None:
        self.player.stats.frame_shown(shown.t_captured)
        self.player.frame_painted()

    def _time_text(self, shown: Frame) -> str:
        info = self.info
        now = format_time(shown.time)
        if info is None or info.live or not (info.frame_count and info.rate):
            return f"{now}  #{shown.index}"
        total = format_time(info.frame_count / info.rate)
        return f"{now} / {total}  frame {shown.index + 1}/{info.frame_count}"

    def _opened(self, info: SourceInfo) -> None:
        self.info = info
        self.source_path = None if info.live else Path(info.name)
        self.setWindowTitle(f"{info.name} — deblur viewer")
        self.slider.setEnabled(info.seekable)
        self.slider.setRange(0, max((info.frame_count or 1) - 1, 0))
        for action in (self.step_back_action, self.step_forward_action):
            action.setEnabled(info.seekable)
        self.export_action.setEnabled(not info.live)
        self.record_action.setEnabled(info.live)
        kind = "live" if info.live else f"{info.frame_count or '?'} frames"
        rate = f", {float(info.rate):.3g} fps" if info.rate else ""
        self.statusBar().showMessage(f"{info.name} ({kind}{rate})")

    def _restorer_changed(self, settings: RestorerSettings, description: str) -> None:
        self.settings = settings
        self._show_settings(settings)
        self.restorer_label.setText(description)
        if self.statusBar().currentMessage().startswith("loading"):
            self.statusBar().clearMessage()

    def _state_changed(self, state: PlayState) -> None:
        self.state = state
        self.play_action.setIconText("❙❙" if state.playing else "▶")
        self._sync_checked(self.loop_action, state.loop)
        self._sync_checked(self.record_action, bool(state.recording))

    def show_error(self, message: str) -> None:
        self.banner.show_message(message, "error")

    # View and model controls.

    def _restorer_picked(self) -> None:
        settings = replace(self.settings, model=self.model_combo.currentText(),
                           backend=self.backend_combo.currentText())
        if settings != self.settings:
            self.restorer_label.setText(f"switching to {settings.model} on {settings.backend} …")
            self.player.set_restorer(settings)

    def switch_model(self, model: str, backend: str | None = None) -> None:
        """Apply another model (and backend) live."""
        self.model_combo.setCurrentText(model)
        if backend is not None:
            self.backend_combo.setCurrentText(backend)
        self._restorer_picked()

    def _next_model(self) -> None:
        combo = self.model_combo
        self.switch_model(combo.itemText((combo.currentIndex() + 1) % combo.count()))

    def _show_settings(self, settings: RestorerSettings) -> None:
        for combo, value in ((self.model_combo, settings.model),
                             (self.backend_combo, settings.backend)):
            if combo.findText(value) < 0:
                combo.addItem(value)
            combo.setCurrentText(value)

    def _jump(self, seconds: float) -> None:
        if self.shown is not None and self.info is not None and self.info.rate:
            self.player.seek(self.shown.index + round(seconds * float(self.info.rate)))

    def _refresh_overlay(self) -> None:
        lines = []
        if self.overlay_action.isChecked():
            lines = self.player.stats.lines()
            temporal = describe_temporal(self.shown) if self.shown is not None else None
            lines += [temporal] if temporal else []
        self.view.overlay_lines = lines
        self.view.update()

    def _set_full_screen(self, on: bool) -> None:
        self.menuBar().setVisible(not on)
        if on:
            self.showFullScreen()
        else:
            self.showNormal()

    def _escape(self) -> None:
        if self.help.isVisible():
            self.help.hide()
        elif self.isFullScreen():
            self.fullscreen_action.setChecked(False)

    @staticmethod
    def _sync_checked(action: QAction, checked: bool) -> None:
        action.blockSignals(True)
        action.setChecked(checked)
        action.blockSignals(False)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.overlay_timer.stop()
        if self.export_dialog is not None:   # a running export stops and leaves no file
            self.export_dialog.cancel()
            self.export_dialog.close()
        self.player.close()
        super().closeEvent(event)
