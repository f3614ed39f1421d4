"""`deblur onnx --model fast|quality -o FILE.onnx [--fp16] [-y]`: export the model's frame graph
(uint8 N x H x W x 3 in and out, dynamic batch/height/width), verify it with ONNX Runtime
against PyTorch at three sizes, print the checks, and write FILE.onnx with FILE.json beside it.
A graph that fails verification is not written."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import models
from export.errors import ExportError
from export.onnx_artifact import build_export, sidecar_path, write_export
from export.onnx_verify import Check


def register(subparsers) -> None:
    parser = subparsers.add_parser("onnx", help="export a model to a verified ONNX graph")
    parser.add_argument("--model", default="fast", help="fast, quality or a full model name")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.onnx")
    parser.add_argument("--fp16", action="store_true",
                        help="fp16 compute in the graph (uint8 I/O unchanged), for TensorRT 11")
    parser.add_argument("-y", "--overwrite", action="store_true",
                        help="replace FILE.onnx and its FILE.json if they exist")
    parser.set_defaults(run=run)


def _check_output(path: Path, overwrite: bool) -> None:
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name such as {path / 'model.onnx'}")
    if path.suffix.lower() != ".onnx":   # the sidecar takes the .json name beside it
        raise ExportError(f"{path}: give the output a .onnx name")
    existing = [str(p) for p in (path, sidecar_path(path)) if p.exists()]
    if existing and not overwrite:
        raise ExportError(f"{' and '.join(existing)}: exists; pass -y to overwrite")


def _value(check: Check) -> str:
    if check.metric == "max abs err":
        return f"{check.value:.2e}"
    return f"{check.value:.2f}" if check.metric.startswith("PSNR") else f"{check.value:g}"


def print_checks(checks: list[Check]) -> None:
    rows = [("size", "batch", "graph", "metric", "value", "limit", "result", "note")]
    for c in checks:
        batch, height, width = c.shape
        limit = f">= {c.limit:g}" if c.metric.startswith("PSNR") else f"<= {c.limit:g}"
        rows.append((f"{width}x{height}", str(batch), c.graph, c.metric, _value(c), limit,
                     "ok" if c.passed else "FAIL", c.note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def run(args: argparse.Namespace) -> int:
    _check_output(args.output, args.overwrite)   # before the slow part
    precision = "fp16" if args.fp16 else "fp32"
    model = models.load(args.model)
    print(f"exporting {model.entry.name} ({precision}) and verifying it with ONNX Runtime ...",
          file=sys.stderr)
    export = build_export(model, precision)
    print_checks(export.checks)
    print(f"images: {export.record['verification']['images']}")
    write_export(export, args.output)
    size_mb = len(export.graph) / 1e6
    print(f"wrote {args.output} ({size_mb:.1f} MB) and {sidecar_path(args.output)}",
          file=sys.stderr)
    return 0
