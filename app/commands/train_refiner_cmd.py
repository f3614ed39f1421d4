"""`deblur train-refiner --clips DIR [DIR ...] --val DIR --steps N [--publish]`: train the
temporal stage's fusion refiner on clips of training photos (`deblur data clips --from train`),
validated on clips of other photos; the crops are cached outside the repo."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

import models
from app.commands.train_cmd import publish
from common.atomic import atomic_output
from engine.errors import InputError
from engine.measure.bench import machine_description
from engine.temporal.refine import REFINER
from engine.temporal.refiner_crops import folder_crops
from models.fusion_refiner import MAX_REFERENCES, FusionRefiner
from models.training.fetch import default_cache_dir
from models.training.refiner_loop import HARM_PRICE, RefinerRecipe, score, train_refiner


def register(subparsers) -> None:
    parser = subparsers.add_parser("train-refiner",
                                   help="train the temporal stage's fusion refiner on clips")
    parser.add_argument("--clips", type=Path, nargs="+", required=True,
                        help="folders of `deblur data clips --from train`")
    parser.add_argument("--skip", type=int, default=8,
                        help="leave out clips numbered below N (default 8: their "
                             "photos are those of the default tuning set)")
    parser.add_argument("--val", type=Path, required=True,
                        help="clips of other photos to validate on (the tuning set)")
    parser.add_argument("--steps", type=int, default=RefinerRecipe.steps)
    parser.add_argument("--lr", type=float, default=RefinerRecipe.lr)
    parser.add_argument("--init", type=Path,
                        help="fine-tune these weights (.safetensors, e.g. the shipped ones)")
    parser.add_argument("--run-dir", type=Path, default=Path("runs") / REFINER)
    parser.add_argument("--crops-cache", type=Path,
                        help="folder keeping the crops between runs (default beside the data "
                             "cache, outside the repo)")
    parser.add_argument("--publish", action="store_true",
                        help="copy the weights and card into models/weights/")
    parser.set_defaults(run=run)


def _cached_crops(folders: list[Path], skip: int, cache: Path, seed: int) -> np.ndarray:
    """The crops of each folder, made once and kept per folder (adding a folder of clips
    makes only its crops; each folder's draws are seeded by its name)."""
    parts = []
    for folder in folders:
        name = folder.resolve().name
        path = cache / f"{name}-skip{skip}-seed{seed}-refs{MAX_REFERENCES}.npy"
        if not path.is_file():
            folder_seed = [seed, *name.encode()]
            crops = folder_crops(folder, seed=folder_seed, skip=skip,
                                 progress=lambda clip, n: print(f"{clip}: {n} crops",
                                                                file=sys.stderr))
            cache.mkdir(parents=True, exist_ok=True)
            with atomic_output(path) as temporary:
                with open(temporary, "wb") as f:
                    np.save(f, crops)
        parts.append(np.load(path, mmap_mode="r"))
    return np.concatenate(parts)


def run(args: argparse.Namespace) -> int:
    for folder in [*args.clips, args.val]:
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder (make clips with `deblur data clips`)")
    init = None
    if args.init is not None:
        try:
            init = load_file(str(args.init))
            FusionRefiner().load_state_dict(init)
        except (SafetensorError, OSError, RuntimeError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{args.init}: not refiner weights ({first})") from exc
    cache = args.crops_cache or default_cache_dir().parent / "refiner-crops"
    crops = _cached_crops(args.clips, args.skip, cache, seed=1)
    val = _cached_crops([args.val], 0, cache, seed=2)
    if not len(crops) or not len(val):
        raise InputError("no frame of those clips was fused with a reference: nothing to learn")
    print(f"{len(crops)} training crops, {len(val)} validation crops", file=sys.stderr)
    recipe = RefinerRecipe(steps=args.steps, lr=args.lr, init=init)
    net, history = train_refiner(crops, val, recipe, log=lambda m: print(m, file=sys.stderr))
    best = max(history, key=score)
    card = {"recipe": {"steps": recipe.steps, "batch": recipe.batch, "crop": recipe.crop,
                       "lr": recipe.lr, "loss": "L1", "schedule": "one-cycle",
                       "kept": f"best validation gain less {HARM_PRICE:g} x the share of crops "
                               f"0.5 dB worse (step {best['step']})"},
            "data": {"train_clips": [str(f) for f in args.clips], "skip": args.skip,
                     "train_crops": len(crops), "val_clips": str(args.val),
                     "made_by": "deblur data clips --from train; the stage as --temporal "
                                "--deconvolve runs it"},
            "steps": recipe.steps, "seed": recipe.seed,
            **({"init": {"weights": args.init.name,
                         "sha256": models.registry.sha256_of(args.init)}}
               if args.init is not None else {}),
            "device": f"cpu ({machine_description()}), fp32, torch threads "
                      f"{torch.get_num_threads()}",
            "metrics": {"validation": best}, "history": history}
    weights = models.save(REFINER, net, card, args.run_dir, helper=True)
    print(f"weights: {weights} (validation: {best})", file=sys.stderr)
    if args.publish:
        target = models.registry.PACKAGED_WEIGHTS
        publish({weights: target / weights.name,
                 weights.with_suffix(".json"): target / f"{REFINER}.json"})
    return 0
