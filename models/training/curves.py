"""The training log as CSV and as a PNG of the curves (loss; validation PSNR)."""
from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIELDS = ["step", "loss", "content", "adversarial", "disc", "lr", "it_per_s",
          "val_psnr_in", "val_psnr_out", "val_identity_psnr"]


def append_row(path: Path, row: dict) -> None:
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
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def plot(csv_path: Path, png_path: Path, title: str) -> None:
    rows = list(csv.DictReader(csv_path.open()))
    train = [(int(r["step"]), float(r["loss"])) for r in rows if r["loss"]]
    val = [(int(r["step"]), float(r["val_psnr_in"]), float(r["val_psnr_out"]))
           for r in rows if r["val_psnr_out"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    if train:
        ax1.plot(*zip(*train), lw=0.8)
    ax1.set(title="training loss", xlabel="step", yscale="log")
    if val:
        steps, psnr_in, psnr_out = zip(*val)
        ax2.plot(steps, psnr_out, "o-", label="restored")
        ax2.plot(steps, psnr_in, "--", label="blurred input")
        ax2.legend()
    ax2.set(title="validation PSNR (dB)", xlabel="step")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)
    plt.close(fig)
