"""The training log as CSV and as a PNG of the curves: loss; validation PSNR against steps;
the gain over the input and what a sharp input keeps against training hours (dB per
CPU- or GPU-hour, the measure of a recipe's efficiency)."""
from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.atomic import atomic_output  # noqa: E402

FIELDS = ["step", "loss", "content", "adversarial", "disc", "lr", "it_per_s",
          "val_psnr_in", "val_psnr_out", "val_identity_psnr", "val_worst_gain",
          "val_identity_worst"]


def _header(path: Path) -> list[str]:
    with path.open(newline="") as f:
        return next(csv.reader(f), [])


def append_row(path: Path, row: dict) -> None:
    if path.exists() and _header(path) != FIELDS:
        drop_rows_after(path, row["step"])       # rewrites the log under today's columns
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in FIELDS})


def drop_rows_after(path: Path, step: int) -> None:
    """Forget rows logged after `step`: a resumed run redoes the steps after its checkpoint,
    and the log should hold each step once."""
    if not path.exists():
        return
    with path.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
    with atomic_output(path) as temporary, temporary.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in FIELDS} for r in rows)


def training_hours(rows: list[dict]) -> list[float]:
    """Cumulative hours of training at each validation row, from the steps per second
    measured over each interval between validations (validation time included)."""
    hours, total, last_step = [], 0.0, 0
    for r in rows:
        if r["val_psnr_out"] and r["it_per_s"] and float(r["it_per_s"]) > 0:
            total += (int(r["step"]) - last_step) / float(r["it_per_s"]) / 3600
            last_step = int(r["step"])
            hours.append(total)
    return hours


def plot(csv_path: Path, png_path: Path, title: str) -> None:
    rows = list(csv.DictReader(csv_path.open()))
    train = [(int(r["step"]), float(r["loss"])) for r in rows if r["loss"]]
    val = [(int(r["step"]), float(r["val_psnr_in"]), float(r["val_psnr_out"]))
           for r in rows if r["val_psnr_out"]]
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4))
    if train:
        ax1.plot(*zip(*train), lw=0.8)
    ax1.set(title="training loss", xlabel="step", yscale="log")
    if val:
        steps, psnr_in, psnr_out = zip(*val)
        ax2.plot(steps, psnr_out, "o-", label="restored")
        ax2.plot(steps, psnr_in, "--", label="blurred input")
        ax2.legend()
    ax2.set(title="validation PSNR (dB)", xlabel="step")
    timed = [r for r in rows if r["val_psnr_out"] and r["it_per_s"] and float(r["it_per_s"]) > 0]
    hours = training_hours(rows)
    if timed:
        gain = [float(r["val_psnr_out"]) - float(r["val_psnr_in"]) for r in timed]
        ax3.plot(hours, gain, "o-", label="mean gain over input (dB)")
        worst = [(h, float(r["val_worst_gain"])) for h, r in zip(hours, timed)
                 if r.get("val_worst_gain")]
        if worst:
            ax3.plot(*zip(*worst), "v--", label="worst crop's gain (dB)")
        ax3.axhline(0, color="grey", lw=0.6)
        ax3.legend(fontsize=8)
    ax3.set(title="gain against training hours (this run)", xlabel="hours")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)
    plt.close(fig)
