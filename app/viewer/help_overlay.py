"""The keyboard help: a translucent panel over the picture listing every shortcut, built from
the window's own actions so it cannot drift from what the keys really do."""
from __future__ import annotations

from html import escape

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QLabel, QWidget


class HelpOverlay(QLabel):
    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("background: rgba(0, 0, 0, 200); color: #f0f0f0; padding: 16px;"
                           "border-radius: 8px;")
        parent.installEventFilter(self)   # follow the parent's size
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False

    def set_actions(self, groups: dict[str, list[QAction]], columns: int = 2) -> None:
        """Every action that has a shortcut, grouped by menu; groups fill `columns` columns."""
        tables = [self._group_table(name, actions) for name, actions in groups.items()]
        per_column = -(-len(tables) // columns)
        cells = ["".join(tables[i:i + per_column]) for i in range(0, len(tables), per_column)]
        self.setText("<table><tr>" + "".join(f"<td valign='top' style='padding:0 14px'>{cell}"
                                             "</td>" for cell in cells) + "</tr></table>"
                     "<p>Wheel: zoom at the cursor · drag: pan · drag the divider in split "
                     "mode · double-click: fit / 1:1</p>")

    @staticmethod
    def _group_table(name: str, actions: list[QAction]) -> str:
        rows = [f"<tr><td colspan=2><b>{escape(name)}</b></td></tr>"]
        for action in actions:
            keys = " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                              for k in action.shortcuts())
            if keys:
                rows.append(f"<tr><td style='padding-right:12px'><tt>{escape(keys)}</tt></td>"
                            f"<td>{escape(action.text().replace('&', ''))}</td></tr>")
        return "<table>" + "".join(rows) + "</table>"

    def toggle(self) -> None:
        self.setVisible(not self.isVisible())
        if self.isVisible():
            self.place()
            self.raise_()

    def place(self) -> None:
        """Centre over the parent, within its size."""
        parent = self.parentWidget()
        self.adjustSize()
        width = min(self.width(), parent.width() - 20)
        height = min(self.height(), parent.height() - 20)
        self.setGeometry((parent.width() - width) // 2, (parent.height() - height) // 2,
                         width, height)
