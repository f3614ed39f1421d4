"""Export from the viewer: output file, codec, quality and comparison layout, a progress bar
with frames, fps and time left, and cancel. Non-modal: the viewer keeps playing meanwhile, and
closing the dialog leaves the export running (the window reopens the same dialog)."""
from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                             QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                             QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.viewer.export_job import ExportJob
from common.errors import describe_error
from engine.stages.restorer import RestorerSettings
from engine.errors import InputError
from engine.sinks.compare import MODES
from engine.stages.temporal import DEFAULT_WINDOW
from engine.sinks.video_writer import (DEFAULT_CRF, available_codecs, container_takes,
                                       default_codec, encoder_options)
from engine.jobs.video_export import ExportResult, ExportSettings, check_target

RESTORED_ONLY = "restored only"


def has_quality_setting(codec: str) -> bool:
    """Whether the codec takes a constant-quality value (the writer refuses one otherwise)."""
    try:
        encoder_options(codec, DEFAULT_CRF)
        return True
    except InputError:
        return False


class ExportDialog(QDialog):
    exported = pyqtSignal(object)   # ExportResult, once the file is in place

    def __init__(self, input_path: Path, restorer: RestorerSettings,
                 parent: QWidget | None = None, temporal: int | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export restored video")
        self.setModal(False)
        self.input_path, self.restorer = Path(input_path), restorer
        self.job: ExportJob | None = None
        self.result: ExportResult | None = None
        self.output_edit = QLineEdit(str(self.input_path.with_name(
            f"{self.input_path.stem}.deblurred.mp4")))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit, 1)
        output_row.addWidget(browse)
        self.codec_combo = QComboBox()
        self.codec_combo.addItems(available_codecs())
        self.codec_combo.currentTextChanged.connect(self._codec_changed)
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(0, 51)
        self.quality_spin.setValue(DEFAULT_CRF)
        self.quality_spin.setToolTip("constant quality (CRF): lower is better and larger")
        self.compare_combo = QComboBox()
        self.compare_combo.addItems([RESTORED_ONLY, *MODES])
        self.overwrite_check = QCheckBox("replace an existing file")
        self.temporal_window = temporal or DEFAULT_WINDOW
        self.temporal_check = QCheckBox("temporal reference (detail from sharper neighbours)")
        self.temporal_check.setChecked(temporal is not None)
        form = QFormLayout()
        form.addRow("Input", QLabel(str(self.input_path)))
        form.addRow("Model", QLabel(f"{restorer.model} on {restorer.backend}"))
        form.addRow("Output", output_row)
        form.addRow("Codec", self.codec_combo)
        form.addRow("Quality (CRF)", self.quality_spin)
        form.addRow("Picture", self.compare_combo)
        form.addRow("", self.temporal_check)
        form.addRow("", self.overwrite_check)
        self.progress_bar = QProgressBar()
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self._codec_changed(self.codec_combo.currentText())
        self.output_edit.textChanged.connect(self._output_changed)

    @property
    def busy(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        """Check the output, then export in the background."""
        if self.busy:
            return
        output = Path(self.output_edit.text()).expanduser()
        try:
            codec = self.codec_combo.currentText()
            check_target(output, self.overwrite_check.isChecked(), self.input_path, codec)
        except InputError as exc:
            self._status(describe_error(exc), error=True)
            return
        compare = self.compare_combo.currentText()
        settings = ExportSettings(codec=codec,
                                  crf=self.quality_spin.value() if has_quality_setting(codec)
                                  else None,
                                  compare=None if compare == RESTORED_ONLY else compare,
                                  temporal=self.temporal_window
                                  if self.temporal_check.isChecked() else None)
        self.result = None
        self.job = ExportJob(self.input_path, output, self.restorer, settings, self)
        self.job.progress.connect(self._progress)
        self.job.succeeded.connect(self._succeeded)
        self.job.failed.connect(lambda message: self._finished(message, error=True))
        self.job.cancelled.connect(lambda: self._finished("cancelled; nothing was written"))
        self.progress_bar.setRange(0, 0)   # busy until the first frame says how many
        self.export_button.setEnabled(False)
        self._status("loading the model …")
        self.job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._status("cancelling …")

    def _cancel_or_close(self) -> None:
        if self.busy:
            self.cancel()
        else:
            self.close()

    def _progress(self, done: int, total: int, fps: float) -> None:
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(min(done, total) if total else 0)
        left = f", {(total - done) / fps:.0f} s left" if total and fps > 0 else ""
        self._status(f"frame {done}{f' of {total}' if total else ''} at {fps:.1f} fps{left}")

    def _succeeded(self, result: ExportResult) -> None:
        self.result = result
        self.progress_bar.setRange(0, max(result.stats.frames_out, 1))
        self.progress_bar.setValue(result.stats.frames_out)
        notes = "".join(f"\n{note}" for note in result.notes)
        self._finished(f"saved {result.output}: {result.stats.summary()}{notes}")
        self.exported.emit(result)

    def _finished(self, message: str, error: bool = False) -> None:
        self.job = None
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1)
        self.export_button.setEnabled(True)
        self._status(message, error)

    def _status(self, message: str, error: bool = False) -> None:
        self.status_label.setStyleSheet("color: #c0392b;" if error else "")
        self.status_label.setText(message)

    def _codec_changed(self, codec: str) -> None:
        self.quality_spin.setEnabled(has_quality_setting(codec))

    def _output_changed(self, text: str) -> None:
        """A codec the new container cannot hold gives way to the one it takes by default
        (a .webm gets VP9)."""
        if container_takes(Path(text), self.codec_combo.currentText()) is False:
            index = self.codec_combo.findText(default_codec(Path(text)))
            if index >= 0:
                self.codec_combo.setCurrentIndex(index)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output_edit.text(),
                                              "Videos (*.mp4 *.mkv *.mov *.webm);;All files (*)")
        if path:
            self.output_edit.setText(path)
