"""The training loop for every recipe, readable in one sitting: sample sharp crops, synthesise
blur on the device, one optimiser step (plus the discriminator's for GAN recipes), and every
`val_every` steps: validation PSNR, a checkpoint (resumable), weights + card, CSV and curves."""
from __future__ import annotations

import dataclasses
import json
import math
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

import models
from common.atomic import atomic_output
from models.discriminator import DiscriminatorConfig, DoubleScaleDiscriminator
from models.guard import LowFrequencyGuard
from models.training import curves
from models.training.blur import BlurSynthesizer
from models.training.data import PairedCrops, PhotoCrops
from models.training.errors import TrainingError
from models.training.exposure import vary_exposure
from models.training.pair_bank import PairBank
from models.training.losses import (double_scale_loss, multistage_loss,
                                    ragan_ls_discriminator_loss, ragan_ls_generator_loss)
from models.training.perceptual import VGGPerceptual
from models.training.precision import autocast, channels_last, resolve_precision
from models.training.recipes import RECIPES, Recipe


@dataclass
class TrainOptions:
    model: str
    steps: int
    run_dir: Path
    photos: list[Path]                 # sharp training photos
    val_photos: list[Path]             # held-out photos for validation
    device: str = "cpu"
    resume: bool = False
    seed: int = 0
    pairs: Path | None = None          # optional real blur/sharp dataset, used instead
    vgg19: Path | None = None
    init: Path | None = None           # start from these weights (.safetensors), new optimiser
    batch: int | None = None
    crop: int | None = None
    lr: float | None = None
    val_every: int | None = None
    val_count: int = 12
    stop_after: float | None = None    # seconds; then validate, checkpoint and pause
    precision: str = "auto"            # 'bf16' autocast where native, else 'fp32'
    adv_start: float | None = None     # fraction of steps before the adversarial term
    bank_size: int = 0                 # >0: draw pairs from a PairBank of this many
    bank_cache: Path | None = None     # where the bank is kept between runs
    ema_decay: float = 0.999           # validation and published weights are this EMA
    data_summary: dict = dataclasses.field(default_factory=dict)


def psnr_each(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of each image of the batch, images in [0, 1]."""
    mse = ((a - b) ** 2).flatten(1).mean(1).clamp(min=1e-10)
    return 10 * torch.log10(1 / mse)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean PSNR in dB over the batch, images in [0, 1]."""
    return float(psnr_each(a, b).mean())


class Trainer:
    def __init__(self, opts: TrainOptions):
        self.opts = opts
        self.entry = models.resolve(opts.model)
        base = RECIPES[self.entry.name]
        self.recipe: Recipe = dataclasses.replace(
            base, batch=opts.batch or base.batch, crop=opts.crop or base.crop,
            lr=opts.lr or base.lr, val_every=opts.val_every or base.val_every,
            adv_start=base.adv_start if opts.adv_start is None else opts.adv_start)
        multiple = self.entry.spec.pad_multiple
        if self.recipe.crop % multiple:
            raise TrainingError(f"--crop must be a multiple of {multiple} for {self.entry.name}")
        if self.recipe.kind == "gan" and self.recipe.crop < 96:
            # The global discriminator branch halves the image five times.
            raise TrainingError("--crop must be at least 96 for the GAN recipes")
        torch.manual_seed(opts.seed)
        dev = self.device = torch.device(opts.device)
        self.precision = resolve_precision(opts.precision, dev)
        # channels_last: oneDNN's and cuDNN's fast convolutions work on NHWC.
        self.net = self.entry.construct().to(dev, memory_format=torch.channels_last)
        if opts.init:
            self.net.load_state_dict(load_file(str(opts.init), device=str(dev)))
        # The EMA (BatchNorm statistics included) is what validation scores and what is
        # published: it is smoother than the last step's weights.
        self.ema = AveragedModel(self.net, multi_avg_fn=get_ema_multi_avg_fn(opts.ema_decay),
                                 use_buffers=True)
        # Trained through the same guard the deployed graph applies (FrameAdapter), so the
        # network spends nothing on the low frequencies the guard sets anyway.
        self.guard = LowFrequencyGuard().to(dev)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=self.recipe.lr)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, self._lr_factor)
        self.disc = self.opt_d = None
        if self.recipe.kind == "gan":
            self.disc = DoubleScaleDiscriminator(
                DiscriminatorConfig(base_channels=self.recipe.disc_channels)).to(
                dev, memory_format=torch.channels_last)
            self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=self.recipe.lr)
        self.perceptual = VGGPerceptual(opts.vgg19).to(dev) if opts.vgg19 else None
        self.photos = PhotoCrops(opts.photos, self.recipe.crop, seed=opts.seed)
        self.pairs = PairedCrops(opts.pairs, self.recipe.crop, opts.seed) if opts.pairs else None
        self.synth = BlurSynthesizer(self.recipe.blur, seed=opts.seed + 1)
        self.bank = self._pair_bank() if opts.bank_size and not opts.pairs else None
        self.step = 0
        self.val_blurred, self.val_sharp = self._validation_set()

    # -- schedule, ranges ---------------------------------------------------------------
    def _lr_factor(self, step: int) -> float:
        r, progress = self.recipe, min(step / max(self.opts.steps, 1), 1.0)
        if r.schedule == "linear":
            return 1.0 - progress
        floor = r.lr_min / r.lr
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    def _to_model(self, x: torch.Tensor) -> torch.Tensor:
        low, high = self.entry.spec.input_range
        return x * (high - low) + low

    def _from_model(self, y: torch.Tensor) -> torch.Tensor:
        low, high = self.entry.spec.input_range
        return (y - low) / (high - low)

    def _validation_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Fixed crops of held-out photos with fixed camera-shake blur (no identity pairs)."""
        crops = PhotoCrops(self.opts.val_photos, 256, seed=12345, min_scale=0.5,
                           dead_leaves_prob=0.0 if self.opts.val_photos else 1.0)
        sharp = crops.batch(self.opts.val_count)
        blur_cfg = dataclasses.replace(self.recipe.blur, identity_prob=0.0)
        blurred, target = BlurSynthesizer(blur_cfg, seed=54321)(sharp)
        return blurred, target

    # -- one step ------------------------------------------------------------------------
    def _synthesised(self, crops: PhotoCrops) -> tuple[torch.Tensor, torch.Tensor]:
        sharp = crops.batch(self.recipe.batch).to(self.device)
        return self.synth(vary_exposure(sharp, self.synth.rng, self.recipe.exposure_prob))

    def _pair_bank(self) -> PairBank:
        # Banked pairs are synthesised a third larger than the crop, so that crops, flips and
        # turns make many views of each.
        side = self.recipe.crop * 4 // 3
        crops = PhotoCrops(self.opts.photos, side, seed=self.opts.seed + 2)
        made_as = repr((side, self.recipe.exposure_prob, self.recipe.blur))
        return PairBank(lambda: self._synthesised(crops), self.opts.bank_size, self.recipe.crop,
                        seed=self.opts.seed + 3, cache=self.opts.bank_cache, key=made_as)

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pairs is not None:
            blurred, sharp = self.pairs.batch(self.recipe.batch)
            return blurred.to(self.device), sharp.to(self.device)
        if self.bank is not None:
            return self.bank.batch(self.recipe.batch, self.device)
        return self._synthesised(self.photos)

    def _scores(self, image: torch.Tensor) -> list[torch.Tensor]:
        """The discriminator's two scales, fp32."""
        with autocast(self.precision, self.device):
            return [s.float() for s in self.disc(image)]

    def train_step(self) -> dict:
        """One optimiser step (and the discriminator's). Only the forward passes run under
        autocast; their outputs are cast to fp32 before any loss, so the losses, the backward
        of the losses and the optimisers are fp32."""
        blurred, sharp = self._batch()
        model_in = channels_last(self._to_model(blurred))
        r, stats, adversarial = self.recipe, {}, False
        if r.kind == "multistage":
            with autocast(self.precision, self.device):
                stages = self.net.forward_stages(model_in)
            restored = [self._from_model(self.guard(s.float(), model_in)) for s in stages]
            loss = multistage_loss(restored, sharp, r.edge_lambda)
            stats["content"] = float(loss.detach())
        else:
            with autocast(self.precision, self.device):
                fake = self.net(model_in)
            fake = self.guard(fake.float(), model_in)
            restored = self._from_model(fake)
            content = F.l1_loss(restored, sharp) if r.content == "l1" else \
                F.mse_loss(restored, sharp)
            loss = content
            if self.perceptual is not None:
                loss = loss + r.perceptual_lambda * self.perceptual(restored, sharp)
            stats["content"] = float(content.detach())
            adversarial = self.step >= r.adv_start * self.opts.steps and r.adv_lambda > 0
            if adversarial:
                real_m = channels_last(self._to_model(sharp))
                with torch.no_grad():
                    real_scores = self._scores(real_m)
                adv = double_scale_loss(ragan_ls_generator_loss, real_scores,
                                        self._scores(fake))
                loss = loss + r.adv_lambda * adv
                stats["adversarial"] = float(adv.detach())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.ema.update_parameters(self.net)
        if adversarial:
            d_loss = double_scale_loss(ragan_ls_discriminator_loss, self._scores(real_m),
                                       self._scores(fake.detach()))
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()
            stats["disc"] = float(d_loss.detach())
        self.sched.step()
        self.step += 1
        stats["loss"] = float(loss.detach())
        return stats

    # -- validation, persistence ---------------------------------------------------------
    @torch.no_grad()
    def validate(self) -> dict:
        """PSNR of the EMA weights on the fixed validation crops (worst crop too)."""
        net = self.ema.module.eval()
        outs, same = [], []
        for i in range(0, len(self.val_blurred), 4):
            blurred = self.val_blurred[i:i + 4].to(self.device)
            sharp = self.val_sharp[i:i + 4].to(self.device)
            outs.append(self._restore(net, blurred))
            same.append(self._restore(net, sharp))
        restored, identity = torch.cat(outs), torch.cat(same)
        gains = psnr_each(restored, self.val_sharp) - psnr_each(self.val_blurred, self.val_sharp)
        return {"val_psnr_in": round(psnr(self.val_blurred, self.val_sharp), 3),
                "val_psnr_out": round(psnr(restored, self.val_sharp), 3),
                "val_worst_gain": round(float(gains.min()), 3),
                "val_identity_psnr": round(psnr(identity, self.val_sharp), 3),
                "val_identity_worst": round(float(psnr_each(identity, self.val_sharp).min()), 3)}

    def _restore(self, net: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
        """[0, 1] images through the network and the guard, as deployed, back in [0, 1]."""
        x = self._to_model(images)
        return self._from_model(self.guard(net(x), x)).clamp(0, 1).cpu()

    def _state(self) -> dict:
        state = {"step": self.step, "steps": self.opts.steps, "net": self.net.state_dict(),
                 "ema": self.ema.state_dict(),
                 "opt": self.opt.state_dict(), "sched": self.sched.state_dict(),
                 "torch_rng": torch.get_rng_state(),
                 "photos_rng": self.photos.rng.bit_generator.state,
                 "synth_rng": self.synth.rng.bit_generator.state}
        # A content-only run never trains its discriminator: leaving it out halves the
        # checkpoint that is committed for the next session to resume.
        if self.disc is not None and self.recipe.adv_start < 1.0:
            state |= {"disc": self.disc.state_dict(), "opt_d": self.opt_d.state_dict()}
        return state

    def save_checkpoint(self, path: Path) -> None:
        with atomic_output(path) as temporary:
            torch.save(self._state(), temporary)

    def load_checkpoint(self, path: Path) -> None:
        state = torch.load(path, map_location=self.device, weights_only=True)
        self.net.load_state_dict(state["net"])
        if "ema" in state:
            self.ema.load_state_dict(state["ema"])
        else:   # a checkpoint from before the EMA: it starts from the weights
            self.ema = AveragedModel(self.net, multi_avg_fn=get_ema_multi_avg_fn(
                self.opts.ema_decay), use_buffers=True)
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        torch.set_rng_state(state["torch_rng"].cpu())
        self.photos.rng.bit_generator.state = state["photos_rng"]
        self.synth.rng.bit_generator.state = state["synth_rng"]
        if self.disc is not None and "disc" in state:
            self.disc.load_state_dict(state["disc"])
            self.opt_d.load_state_dict(state["opt_d"])
        self.step = state["step"]

    def card(self, metrics: dict) -> dict:
        recipe = dataclasses.asdict(self.recipe)
        card = {"steps": self.step, "planned_steps": self.opts.steps,
                "precision": f"{self.precision}, channels_last", "recipe": recipe,
                "seed": self.opts.seed,
                "device": _device_name(self.device),
                "data": self.opts.data_summary or {"pairs": str(self.opts.pairs)},
                "metrics": {"validation": metrics,
                            "validation_set": f"{self.opts.val_count} crops of 256x256 from "
                                              "held-out photos, synthetic camera shake"}}
        if self.opts.init:
            # Where this run started: the earlier weights and, from their card, their training.
            earlier = Path(self.opts.init).with_suffix(".json")
            card["init"] = {"weights": Path(self.opts.init).name, "sha256":
                            models.registry.sha256_of(Path(self.opts.init))}
            if earlier.is_file():
                previous = json.loads(earlier.read_text())
                card["init"] |= {k: previous.get(k) for k in ("steps", "recipe", "init")}
        return card


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import platform
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


class PauseRequest:
    """Whether training should pause at the next step: its time budget is spent, or SIGTERM
    arrived (a session's or a device command's end). The loop then validates and checkpoints
    before it leaves, so `--resume` loses nothing."""

    def __init__(self, stop_after: float | None):
        self.deadline = None if stop_after is None else time.monotonic() + stop_after
        self.signalled = False
        self._previous = None

    def __enter__(self) -> "PauseRequest":
        if threading.current_thread() is threading.main_thread():   # signals only go there
            self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    def _on_sigterm(self, signum, frame) -> None:
        self.signalled = True

    def due(self) -> bool:
        return self.signalled or (self.deadline is not None and time.monotonic() >= self.deadline)


def train(opts: TrainOptions, log=print) -> Path:
    """Run (or resume) training; returns the weights file written into the run folder. With
    `stop_after`, or on SIGTERM, it pauses early at a checkpoint (see PauseRequest)."""
    run_dir = Path(opts.run_dir)
    checkpoint = run_dir / "checkpoint.pt"
    if checkpoint.exists() and not opts.resume:
        raise TrainingError(f"{run_dir} already holds a run; pass --resume to continue it or "
                            "choose another --run-dir")
    run_dir.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(opts)
    csv_path = run_dir / "log.csv"
    if opts.resume and checkpoint.exists():
        trainer.load_checkpoint(checkpoint)
        curves.drop_rows_after(csv_path, trainer.step)
        log(f"resumed {trainer.entry.name} at step {trainer.step}")
    weights = run_dir / f"{trainer.entry.name}.safetensors"
    bar = tqdm(total=opts.steps, initial=trainer.step, unit="step", dynamic_ncols=True,
               disable=None)
    tick, tick_step = time.perf_counter(), trainer.step
    with PauseRequest(opts.stop_after) as pause:
        while trainer.step < opts.steps:
            stats = trainer.train_step()
            bar.update(1)
            bar.set_postfix(loss=f"{stats['loss']:.4f}")
            last, pausing = trainer.step == opts.steps, pause.due()
            if trainer.step % trainer.recipe.val_every == 0 or last or pausing:
                now = time.perf_counter()
                stats["it_per_s"] = round((trainer.step - tick_step) / (now - tick), 3)
                tick, tick_step = now, trainer.step
                metrics = trainer.validate()
                stats |= metrics | {"step": trainer.step, "lr": trainer.sched.get_last_lr()[0]}
                curves.append_row(csv_path, stats)
                curves.plot(csv_path, run_dir / "curves.png", trainer.entry.name)
                trainer.save_checkpoint(checkpoint)
                weights = models.save(trainer.entry.name, trainer.ema.module,
                                      trainer.card(metrics), run_dir)
                bar.write(f"step {trainer.step}: validation PSNR {metrics['val_psnr_in']:.2f} "
                          f"-> {metrics['val_psnr_out']:.2f} dB, sharp in/out "
                          f"{metrics['val_identity_psnr']:.2f} dB")
                if pausing and not last:
                    log(f"paused at step {trainer.step} of {opts.steps} (checkpoint saved); "
                        "the same command with --resume continues")
                    break
            elif trainer.step % 10 == 0:
                curves.append_row(csv_path, stats | {"step": trainer.step,
                                                     "lr": trainer.sched.get_last_lr()[0]})
    bar.close()
    return weights
