"""Verified ONNX exports as files: FILE.onnx with FILE.json beside it (model, weights sha256,
precision, opset, I/O, verification results), both written atomically; and the per-user cache
of exports that the onnxruntime and tensorrt backends build on first use."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import onnx
import onnxruntime as ort
import torch

from common.atomic import write_bytes_atomic, write_json_atomic
from export.errors import ExportError
from export.files import cache_root, read_json
from export.onnx_export import (EXPORTER_VERSION, INPUT_NAME, OPSET, OUTPUT_NAME, TRACE_SHAPE,
                                export_onnx)
from export.onnx_verify import FULL_SHAPES, QUICK_SHAPES, Check, verify
from models import LoadedModel
from models.registry import sha256_of

_IO = {"dtype": "uint8", "layout": "NHWC, RGB", "dynamic": ["batch", "height", "width"]}


@dataclass
class OnnxExport:
    graph: bytes
    checks: list[Check]
    record: dict          # the sidecar JSON

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def sidecar_path(onnx_path: Path) -> Path:
    return Path(onnx_path).with_suffix(".json")


def build_export(model: LoadedModel, precision: str,
                 shapes: tuple[tuple[int, int, int], ...] = FULL_SHAPES) -> OnnxExport:
    """Export and verify; nothing is written."""
    graph = export_onnx(model, precision)
    try:
        onnx.checker.check_model(onnx.load_from_string(graph))
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"{model.entry.name}: exported graph is invalid: "
                          f"{str(exc).splitlines()[0]}") from None
    checks, images = verify(model, precision, graph, shapes)
    record = {
        "model": model.entry.name,
        "architecture": model.entry.architecture,
        "weights_sha256": model.card.get("sha256"),
        "precision": precision,
        "opset": OPSET,
        "exporter": f"torch.onnx TorchScript exporter (torch {torch.__version__})",
        "exporter_version": EXPORTER_VERSION,
        "onnx_sha256": hashlib.sha256(graph).hexdigest(),
        "input": {"name": INPUT_NAME, **_IO, "channels": model.spec.in_channels},
        "output": {"name": OUTPUT_NAME, **_IO, "channels": 3},
        "pad_multiple": model.spec.pad_multiple,
        "trace_shape": [*TRACE_SHAPE, model.spec.in_channels],
        "verification": {"runtime": f"onnxruntime {ort.__version__}, CPU", "images": images,
                         "passed": all(c.passed for c in checks),
                         "checks": [c.as_dict() for c in checks]},
    }
    return OnnxExport(graph, checks, record)


def write_export(export: OnnxExport, path: Path) -> None:
    """The graph, then its sidecar; a graph that failed verification is not written."""
    if not export.passed:
        raise ExportError(f"{export.record['model']} ({export.record['precision']}): "
                          "verification failed, nothing written")
    write_bytes_atomic(path, export.graph)
    write_json_atomic(sidecar_path(path), export.record)


def cached_onnx(model: LoadedModel, precision: str,
                log: Callable[[str], None] = lambda message: None) -> Path:
    """The verified export of `model` at `precision` in the user's cache, exported (with a
    quick verification) when missing, unverified or not matching its sidecar's checksum. The
    name carries the weights' sha256, precision, exporter version, opset and torch version."""
    key = hashlib.sha256(json.dumps({
        "weights_sha256": model.card.get("sha256"), "precision": precision,
        "exporter_version": EXPORTER_VERSION, "opset": OPSET, "torch": torch.__version__,
    }, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_root() / "onnx" / f"{model.entry.name}-{precision}-{key}.onnx"
    record = read_json(sidecar_path(path))
    if (path.is_file() and record is not None and record.get("verification", {}).get("passed")
            and record.get("onnx_sha256") == sha256_of(path)):
        return path
    log(f"exporting {model.entry.name} ({precision}) to ONNX once, into {path.parent}")
    write_export(build_export(model, precision, QUICK_SHAPES), path)
    return path
