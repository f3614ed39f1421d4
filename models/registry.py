"""Named models: what to build, where its weights are, and what the engine must know.

`load("fast" | "quality" | full name)` builds the architecture, verifies the weights file
against the sha256 in its card and loads it with safetensors (never unpickling). Weights live
in models/weights/ as NAME.safetensors with NAME.json (the card) beside them; the environment
variable DEBLUR_WEIGHTS_DIR points elsewhere (training runs, tests).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from common.atomic import atomic_output, write_json_atomic
from models.deblurganv2 import FPNGenerator, FPNGeneratorConfig
from models.errors import ModelError
from models.fusion_refiner import FusionRefiner, FusionRefinerConfig
from models.mprnet import MPRNet, MPRNetConfig

PACKAGED_WEIGHTS = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ModelSpec:
    """What the engine needs to feed a model: the value range of its input and output images,
    the multiple height and width must be padded to, and the output/input size ratio."""
    input_range: tuple[float, float]
    pad_multiple: int
    scale: int = 1
    in_channels: int = 3


@dataclass(frozen=True)
class ModelEntry:
    name: str
    architecture: str
    config: object          # the architecture's config dataclass
    build: Callable[[object], nn.Module] = field(repr=False)
    spec: ModelSpec
    helper: bool = False    # one of HELPERS: no restorer of its own

    def construct(self) -> nn.Module:
        return self.build(self.config)

    def folder(self) -> Path:
        """The weights dir; a helper network not trained there comes from the shipped ones
        (a training run's DEBLUR_WEIGHTS_DIR holds its restorer only)."""
        folder = weights_dir()
        if self.helper and not (folder / f"{self.name}.safetensors").is_file():
            return PACKAGED_WEIGHTS
        return folder

    def weights_path(self) -> Path:
        return self.folder() / f"{self.name}.safetensors"

    def card_path(self) -> Path:
        return self.folder() / f"{self.name}.json"


_GAN_SPEC = ModelSpec(input_range=(-1.0, 1.0), pad_multiple=32)
_MPRNET_SPEC = ModelSpec(input_range=(0.0, 1.0), pad_multiple=8)

ENTRIES: dict[str, ModelEntry] = {e.name: e for e in (
    ModelEntry("deblurganv2-mobilenet-dsc", "DeblurGAN-v2 FPN, MobileNet-DSC",
               FPNGeneratorConfig(separable=True), FPNGenerator, _GAN_SPEC),
    ModelEntry("deblurganv2-mobilenetv2", "DeblurGAN-v2 FPN, MobileNetV2",
               FPNGeneratorConfig(separable=False), FPNGenerator, _GAN_SPEC),
    ModelEntry("mprnet-slim", "MPRNet, slim (32/16/16, 4 CABs per ORB)",
               MPRNetConfig(n_feat=32, scale_unetfeats=16, scale_orsnetfeats=16, num_cab=4),
               MPRNet, _MPRNET_SPEC),
    ModelEntry("mprnet", "MPRNet, paper config (96/48/32, 8 CABs per ORB)",
               MPRNetConfig(), MPRNet, _MPRNET_SPEC),
)}

ALIASES = {"fast": "deblurganv2-mobilenet-dsc", "quality": "mprnet-slim"}

# Networks that are no frame restorer of their own: the engine's stages load them by name
# (`load(name, helper=True)`); `--model` never reaches them.
HELPERS: dict[str, ModelEntry] = {e.name: e for e in (
    ModelEntry("fusion-refiner", "temporal fusion refiner, two-scale CNN (16/32)",
               FusionRefinerConfig(), FusionRefiner,
               ModelSpec(input_range=(0.0, 1.0), pad_multiple=2,
                         in_channels=FusionRefinerConfig().inputs),
               helper=True),
)}


def weights_dir() -> Path:
    return Path(os.environ.get("DEBLUR_WEIGHTS_DIR", PACKAGED_WEIGHTS))


def resolve(name: str) -> ModelEntry:
    """The entry for a full name or an alias ('fast', 'quality')."""
    entry = ENTRIES.get(ALIASES.get(name, name))
    if entry is None:
        known = ", ".join([*ALIASES, *ENTRIES])
        raise ModelError(f"unknown model {name!r}; choose one of: {known}")
    return entry


def read_card(entry: ModelEntry) -> dict | None:
    """The model card beside the weights, or None when the model has not been trained yet."""
    path = entry.card_path()
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"model card {path} is unreadable ({exc}); restore it from git") from exc


def write_card(path: Path, card: dict) -> None:
    """The one way a card is written or rewritten: whole or not at all, as indented JSON."""
    write_json_atomic(path, card)


def record_metrics(entry: ModelEntry, key: str, figures: dict) -> None:
    """Put `figures` into the entry's card as metrics[key] (what `eval --record` keeps)."""
    card = read_card(entry)
    if card is None:
        raise ModelError(f"model {entry.name!r} has no card at {entry.card_path()} to record "
                         "metrics in; train or restore it first")
    card.setdefault("metrics", {})[key] = figures
    write_card(entry.card_path(), card)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class LoadedModel:
    entry: ModelEntry
    module: nn.Module       # eval mode, weights loaded
    card: dict

    @property
    def spec(self) -> ModelSpec:
        return self.entry.spec


def _entry(name: str, helper: bool) -> ModelEntry:
    if not helper:
        return resolve(name)
    if name not in HELPERS:
        raise ModelError(f"unknown helper network {name!r}; known: {', '.join(HELPERS)}")
    return HELPERS[name]


def load(name: str, device: str | torch.device = "cpu", helper: bool = False) -> LoadedModel:
    """Build the named model (a restorer, or with `helper` one of HELPERS) with its verified
    weights, in eval mode on `device`."""
    entry = _entry(name, helper)
    weights, card = entry.weights_path(), read_card(entry)
    if not weights.is_file() or card is None:
        how = "deblur train-refiner" if entry.helper else f"deblur train --model {entry.name}"
        raise ModelError(f"model {entry.name!r} is not trained yet: {weights} (and its card) "
                         f"missing; train it with `{how}`")
    expected, actual = card.get("sha256"), sha256_of(weights)
    if actual != expected:
        raise ModelError(f"weights {weights} fail their checksum (sha256 {actual[:12]}..., "
                         f"card says {str(expected)[:12]}...): corrupt or replaced; "
                         "restore the file from git or retrain")
    try:
        state = load_file(str(weights), device=str(device))
    except (SafetensorError, OSError) as exc:
        raise ModelError(f"weights {weights} cannot be read: {exc}") from exc
    module = entry.construct()
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise ModelError(f"weights {weights} do not fit {entry.name}: {first}") from exc
    return LoadedModel(entry, module.to(device).eval(), card)


def save(entry_name: str, module: nn.Module, card: dict, directory: Path | None = None,
         helper: bool = False) -> Path:
    """Write NAME.safetensors and its card (architecture config and sha256 added) into
    `directory` (default: the weights dir). Returns the weights path."""
    entry = _entry(entry_name, helper)
    built_as = getattr(module, "config", entry.config)
    if built_as != entry.config:   # the card (and load) would name another architecture
        raise ModelError(f"{entry.name}: the network was built as {built_as}, the registry "
                         f"builds {entry.config}; change the registry's config first")
    directory = Path(directory) if directory is not None else weights_dir()
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / f"{entry.name}.safetensors"
    state = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
    with atomic_output(weights) as temporary:
        save_file(state, str(temporary))
    full_card = {"name": entry.name, "architecture": entry.architecture,
                 "config": dataclasses.asdict(entry.config), **card,
                 "sha256": sha256_of(weights)}
    write_card(directory / f"{entry.name}.json", full_card)
    return weights
