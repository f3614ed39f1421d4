"""The table a batch ends with: one row per file (frames, time, fps, result) and a total line;
and the exit code it means (0: every file done or already done, 1: some failed)."""
from __future__ import annotations

from engine.batch.job import FAILED, FileResult


def summary_table(results: list[FileResult], wall_seconds: float, skipped: int = 0) -> str:
    """Rows in the order given; the failed ones say why in their last column."""
    width = max([len("file")] + [len(r.name) for r in results])
    lines = [f"{'file':{width}}  {'frames':>7}  {'time s':>7}  {'fps':>6}  result",
             f"{'-' * width}  {'-' * 7}  {'-' * 7}  {'-' * 6}  {'-' * 6}"]
    for r in results:
        ran = r.seconds > 0
        result = f"{FAILED}: {r.message}" if r.failed else r.result
        lines.append(f"{r.name:{width}}  {r.frames if ran else '':>7}  "
                     f"{f'{r.seconds:.1f}' if ran else '':>7}  "
                     f"{f'{r.fps:.1f}' if ran and r.frames else '':>6}  {result}")
    done = [r for r in results if r.result == "done"]
    frames = sum(r.frames for r in done)
    counts = {kind: sum(r.result == kind for r in results)
              for kind in ("done", "already done", FAILED)}
    rate = frames / wall_seconds if wall_seconds > 0 else 0.0
    lines.append(f"{len(results)} videos: {counts['done']} done, {counts['already done']} "
                 f"already done, {counts[FAILED]} failed"
                 + (f"; {skipped} other files skipped (not videos)" if skipped else "")
                 + f"; {frames} frames in {wall_seconds:.1f} s ({rate:.1f} fps overall)")
    return "\n".join(lines)


def exit_code(results: list[FileResult]) -> int:
    return 1 if any(r.failed for r in results) else 0
