"""The per-user cache of TensorRT engines (and torch-tensorrt programs), in the spirit of
vs-mlrt: an engine is reused only when everything that shapes it is unchanged.

The key names the model, the path (onnx or torch-tensorrt), the sha256 of what was compiled
(the ONNX file, or the weights), the TensorRT version, the GPU's name and compute capability,
the precision and the profile. A file's slot (its name) leaves out the source checksum and the
TensorRT version, so new weights or a TensorRT upgrade rebuild the engine in place instead of
piling up old ones: the metadata beside it holds the full key (a mismatch is stale) and the
engine's sha256 (a mismatch, or a failed deserialisation, is corrupt). Either is rebuilt.
Pure Python: the builder and deserialiser are passed in, so this logic is tested without
TensorRT.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from common.atomic import write_bytes_atomic, write_json_atomic
from export.engine_profile import Profile
from export.errors import ExportError
from export.files import cache_root, read_json

T = TypeVar("T")


def _digest(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class EngineKey:
    model: str
    via: str                  # 'onnx' (TensorRT's ONNX parser) or 'torch-tensorrt'
    source_sha256: str        # the ONNX file's, or the weights' for torch-tensorrt
    tensorrt_version: str     # for torch-tensorrt also its own version
    gpu_name: str
    compute_capability: str   # '8.9'
    precision: str
    profile: Profile

    def as_dict(self) -> dict:
        return {**asdict(self), "profile": self.profile.as_dict()}

    def digest(self) -> str:
        return _digest(self.as_dict())

    def slot(self) -> str:
        """The file name stem: what a user keeps side by side (model, path, precision, GPU,
        profile), not what replaces an engine (source, TensorRT version)."""
        where = _digest({"gpu": self.gpu_name, "cc": self.compute_capability,
                         "profile": self.profile.as_dict()})[:12]
        return f"{self.model}-{self.via}-{self.precision}-{where}"


@dataclass(frozen=True)
class CacheState:
    data: bytes | None   # the engine when it can be used
    reason: str          # 'cached', 'not built yet', 'stale: ...', 'corrupt: ...'


class EngineCache:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else cache_root() / "engines"

    def engine_path(self, key: EngineKey) -> Path:
        return self.root / f"{key.slot()}.engine"

    def meta_path(self, key: EngineKey) -> Path:
        return self.root / f"{key.slot()}.json"

    def timing_cache_path(self, tensorrt_version: str, gpu_name: str, cc: str) -> Path:
        """TensorRT's layer timings, shared by every engine built with this TensorRT on this GPU."""
        gpu = "".join(c if c.isalnum() else "-" for c in gpu_name).strip("-").lower()
        return self.root / f"timing-trt{tensorrt_version}-{gpu}-sm{cc}.cache"

    def remember_profile(self, model: str, profile: Profile) -> None:
        """Make `profile` the one the tensorrt backend builds or loads for `model` (what
        `deblur engine` last built), instead of the default."""
        write_json_atomic(self.root / f"{model}.profile.json", profile.as_dict())

    def remembered_profile(self, model: str) -> Profile | None:
        record = read_json(self.root / f"{model}.profile.json")
        try:
            shapes = [tuple(int(v) for v in record[k]) for k in ("min", "opt", "max")]
        except (TypeError, KeyError, ValueError):
            return None   # none remembered, or unreadable: the default serves
        return Profile(*shapes) if all(len(s) == 4 for s in shapes) else None

    def state(self, key: EngineKey) -> CacheState:
        """Whether the cached engine for `key` can be used, and if not, why."""
        engine_path, meta = self.engine_path(key), read_json(self.meta_path(key))
        if not engine_path.is_file():
            return CacheState(None, "not built yet")
        if meta is None or not isinstance(meta.get("key"), dict):
            return CacheState(None, "corrupt: its metadata is missing or unreadable")
        if meta.get("key_sha256") != key.digest():
            wanted = key.as_dict()
            changed = [f"{name} {meta['key'].get(name)!r} -> {wanted[name]!r}"
                       for name in wanted if meta["key"].get(name) != wanted[name]]
            return CacheState(None, "stale: " + ("; ".join(changed) or "key differs"))
        data = engine_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta.get("engine_sha256"):
            return CacheState(None, "corrupt: engine file fails its checksum")
        return CacheState(data, "cached")

    def store(self, key: EngineKey, data: bytes) -> Path:
        """Write the engine, then its metadata (so an engine without metadata is never
        trusted)."""
        path = self.engine_path(key)
        write_bytes_atomic(path, data)
        write_json_atomic(self.meta_path(key), {
            "key": key.as_dict(), "key_sha256": key.digest(),
            "engine_sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        return path

    def load_or_build(self, key: EngineKey, build: Callable[[], bytes],
                      deserialize: Callable[[bytes], T | None],
                      log: Callable[[str], None] = lambda message: None) -> tuple[T, str]:
        """The deserialised engine for `key`, from the cache when it is valid, else built,
        deserialised and stored. Returns it with how it was obtained ('cached' or
        'built (<why>)'). `deserialize` returns None (or raises) for bytes it cannot load."""
        state = self.state(key)
        if state.data is not None:
            engine = _try(deserialize, state.data)
            if engine is not None:
                return engine, "cached"
            state = CacheState(None, "corrupt: the runtime cannot deserialise it")
        log(f"building {key.slot()} ({state.reason})")
        data = build()
        engine = deserialize(data)   # a fresh engine that fails to load is an error to see
        if engine is None:
            raise ExportError(f"{key.model}: the engine just built does not deserialise; "
                              f"nothing cached (TensorRT {key.tensorrt_version})")
        self.store(key, data)
        return engine, f"built ({state.reason})"


def _try(deserialize: Callable[[bytes], T | None], data: bytes) -> T | None:
    try:
        return deserialize(data)
    except Exception:   # noqa: BLE001 - any failure to load cached bytes means: rebuild
        return None
