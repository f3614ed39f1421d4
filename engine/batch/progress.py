"""The one progress display of a batch, the same for a local run and a Ray cluster: a tqdm bar
over the frames of every file to do (fps and ETA over the whole job, files done/total beside
it) and one line per file as it ends."""
from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

from engine.batch.job import FAILED, FileResult
from engine.batch.plan import BatchItem


class BatchProgress:
    def __init__(self, items: list[BatchItem], stream: TextIO | None = None):
        self.stream = stream or sys.stderr   # looked up now: a test may have replaced it
        self.total = len(items)
        self.finished = 0
        self.failed = 0
        self._frames: dict[str, int] = {}   # frames written so far, per file in progress
        frames = sum(item.frames or 0 for item in items)
        self.bar = tqdm(total=frames or None, unit="frame", file=stream, disable=None,
                        dynamic_ncols=True, desc=self._files())

    def _files(self) -> str:
        return f"files {self.finished}/{self.total}" + (f", {self.failed} failed"
                                                        if self.failed else "")

    def frames(self, name: str, count: int) -> None:
        """`name` has written `count` frames so far (a retried file starts again from 0)."""
        delta = count - self._frames.get(name, 0)
        if delta:
            self._frames[name] = count
            self.bar.update(delta)

    def finish(self, result: FileResult, attempts: int = 1) -> None:
        """A file ended: its line, above the bar."""
        self.frames(result.name, result.frames)
        self._frames.pop(result.name, None)
        self.finished += 1
        self.failed += result.failed
        self.bar.set_description_str(self._files(), refresh=False)
        head = f"[{self.finished}/{self.total}] {result.name}:"
        if result.failed:
            line = f"{head} {FAILED}: {result.message}"
        else:
            line = (f"{head} {result.frames} frames in {result.seconds:.1f} s "
                    f"({result.fps:.1f} fps)" + (f", {result.corrupt} corrupt packets skipped"
                                                 if result.corrupt else ""))
        if attempts > 1:
            line += f" (on attempt {attempts}: {attempts - 1} worker(s) lost)"
        self.bar.write(line, file=self.stream)
        for note in result.notes:
            self.bar.write(f"  {note}", file=self.stream)

    def close(self) -> None:
        self.bar.close()
