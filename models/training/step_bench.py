"""Training speed: seconds per optimiser step (blur synthesis included) for one model, in the
old arithmetic (fp32, NCHW: the reference) and the current ones (fp32 and bf16 autocast, both
channels-last), measured in one run. The sharp crops are one procedural batch drawn once and
reused, so no data is needed and drawing them (slow in NumPy) is not what is timed.

    deblur bench --train-step --model fast [--steps 6] [--device cpu]
    deblur bench --train-step --model fast --bank 256   # pair bank vs on the fly
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from models.training.loop import Trainer, TrainOptions

VARIANTS = (("fp32, NCHW (reference)", "fp32", False), ("fp32, channels-last", "fp32", True),
            ("bf16 autocast, channels-last", "bf16", True))


def seconds_per_step(model: str, precision: str, channels_last: bool, steps: int,
                     device: str) -> float:
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(TrainOptions(model=model, steps=10 * steps, run_dir=Path(run_dir),
                                       photos=[], val_photos=[], device=device, val_count=1,
                                       precision=precision))
        if not channels_last:
            trainer.net.to(memory_format=torch.contiguous_format)
        sharp = trainer.photos.batch(trainer.recipe.batch)
        trainer.photos.batch = lambda size: sharp
        # The same blurs for every variant: their cost varies with the blur's length.
        trainer.synth.rng = np.random.default_rng(0)
        trainer.train_step()   # warm-up: allocations, oneDNN/cuDNN kernel choice
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            trainer.train_step()
            if trainer.device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def bank_against_synthesis(model: str, bank_size: int, steps: int, device: str) -> dict:
    """Steps per hour drawing from a PairBank (its slice refreshes included, its first fill
    not) against synthesising every batch, in one run, with the same procedural content."""
    rates, fill = {}, 0.0
    for label, size in (("on-the-fly synthesis", 0), ("pair bank", bank_size)):
        with tempfile.TemporaryDirectory() as run_dir:
            start = time.perf_counter()
            trainer = Trainer(TrainOptions(model=model, steps=10 * steps, run_dir=Path(run_dir),
                                           photos=[], val_photos=[], device=device,
                                           val_count=1, bank_size=size))
            if size:
                fill = time.perf_counter() - start
            trainer.train_step()
            start = time.perf_counter()
            for _ in range(steps):
                trainer.train_step()
            if trainer.device.type == "cuda":
                torch.cuda.synchronize()
            rates[label] = 3600 * steps / (time.perf_counter() - start)
    return {"model": model, "device": device, "threads": torch.get_num_threads(),
            "steps_timed": steps, "bank_pairs": bank_size, "bank_fill_s": round(fill, 1),
            "steps_per_hour": {k: round(v) for k, v in rates.items()},
            "ratio": round(rates["pair bank"] / rates["on-the-fly synthesis"], 2)}


def arithmetic_report(model: str, steps: int, device: str) -> dict:
    """Seconds per step of every arithmetic in VARIANTS, and each one's speed against the
    first (the reference)."""
    rows = [{"arithmetic": label, "s_per_step": round(seconds_per_step(
        model, precision, cl, steps, device), 4)} for label, precision, cl in VARIANTS]
    for row in rows:
        row["speed_vs_reference"] = round(rows[0]["s_per_step"] / row["s_per_step"], 2)
    return {"model": model, "device": device, "threads": torch.get_num_threads(), "rows": rows}
