"""ONNX export: the graph of FrameAdapter run by ONNX Runtime gives PyTorch's pixels at sizes
other than the trace size (MPRNet's patch split and the padding stay symbolic), the fp16 graph
stays within 45 dB of fp32 on natural images, the sidecar records what was exported, and
`deblur onnx` refuses to overwrite or to write a graph that failed verification."""
from __future__ import annotations

import functools
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import models
from app import cli
from app.commands import onnx_cmd
from export import onnx_artifact, onnx_verify
from export.onnx_artifact import build_export, sidecar_path, write_export
from export.onnx_export import INPUT_NAME, OPSET, TRACE_SHAPE, export_onnx, frame_module
from export.onnx_verify import crops, verify
from models.registry import PACKAGED_WEIGHTS, sha256_of
from tests.helpers import random_model

# (batch, height, width), none the trace size; 33 x 47 is a multiple of neither pad (8, 32).
SHAPES = ((2, 33, 47), (1, 48, 80), (1, 80, 40))


@pytest.fixture
def shipped_fast(monkeypatch):
    """The shipped fast weights: fp16 accuracy only means something for a trained network."""
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(PACKAGED_WEIGHTS))
    return models.load("fast")


@pytest.fixture(scope="module")
def random_models():
    """Randomly initialised fast and quality models (as the weights_dir fixture makes, without
    the file round trip), shared by this module's tests so each graph is exported once."""
    return {alias: models.LoadedModel(models.resolve(alias),
                                      random_model(models.resolve(alias).construct),
                                      {"sha256": "random-init"})
            for alias in ("fast", "quality")}


@pytest.fixture(scope="module")
def graph(random_models):
    """graph(alias, precision) -> the exported bytes, exported once per module."""
    return functools.cache(lambda alias, precision: export_onnx(random_models[alias], precision))


def _session(graph_bytes: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(graph_bytes, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("alias", ["fast", "quality"])
def test_fp32_graph_passes_verification_at_three_sizes(random_models, graph, alias):
    checks, _ = verify(random_models[alias], "fp32", graph(alias, "fp32"), SHAPES)
    pre_round = [c for c in checks if c.graph == "fp32 pre-round"]
    uint8 = [c for c in checks if c.graph == "fp32 uint8"]
    assert [c.shape for c in pre_round] == [c.shape for c in uint8] == list(SHAPES)
    assert all(c.metric == "max abs err" and c.value <= 1e-3 for c in pre_round)
    assert all(c.metric == "max uint8 step" and c.value <= 1 for c in uint8)
    assert all(c.passed for c in checks)


def test_mprnet_graph_is_right_at_sizes_other_than_the_trace(random_models, graph):
    """Smaller and larger than the trace size, other batches, not multiples of 8: a patch
    split frozen at the trace size would give wrong shapes or wrong pixels here."""
    session = _session(graph("quality", "fp32"))
    reference = frame_module(random_models["quality"], "fp32")
    rng = np.random.default_rng(1)
    for shape in ((1, 16, 24), (3, 100, 36), (1, 136, 72)):
        assert shape != TRACE_SHAPE[:3]
        frames = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
        with torch.inference_mode():
            expected = reference(torch.from_numpy(frames)).numpy()
        out = session.run(None, {INPUT_NAME: frames})[0]
        assert out.shape == frames.shape and out.dtype == np.uint8
        assert np.abs(out.astype(int) - expected).max() <= 1


def test_graph_io_is_uint8_nhwc_with_symbolic_batch_height_width(graph):
    model = onnx.load_from_string(graph("quality", "fp32"))
    for value in (model.graph.input[0], model.graph.output[0]):
        tensor = value.type.tensor_type
        assert tensor.elem_type == onnx.TensorProto.UINT8
        dims = [d.dim_param or d.dim_value for d in tensor.shape.dim]
        assert dims == ["batch", "height", "width", 3]
    assert model.opset_import[0].version == OPSET


def test_batchnorm_is_folded_into_the_convolutions(random_models, graph):
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in random_models["fast"].module.modules())
    model = onnx.load_from_string(graph("fast", "fp32"))
    assert "BatchNormalization" not in {node.op_type for node in model.graph.node}


def test_fp16_graph_is_strongly_typed_fp16(graph):
    """Weights are fp16 and nothing casts back to fp32: TensorRT 11 takes the types as given.
    The only fp32 values are Resize scales, which ONNX defines as float."""
    nodes = onnx.load_from_string(graph("quality", "fp16")).graph
    floating = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE}
    assert {i.data_type for i in nodes.initializer if i.data_type in floating} \
        == {onnx.TensorProto.FLOAT16}
    casts = [a.i for n in nodes.node if n.op_type == "Cast" for a in n.attribute]
    assert onnx.TensorProto.FLOAT not in casts and onnx.TensorProto.FLOAT16 in casts
    fp32_constants = {n.output[0] for n in nodes.node if n.op_type == "Constant"
                      and n.attribute[0].t.data_type == onnx.TensorProto.FLOAT}
    uses = [(n.op_type, list(n.input).index(name)) for n in nodes.node for name in n.input
            if name in fp32_constants]
    assert uses and all(use == ("Resize", 2) for use in uses)


def test_fp16_fast_is_within_45_db_of_fp32_on_natural_images(shipped_fast):
    export = build_export(shipped_fast, "fp16", ((1, 120, 200), (2, 97, 130)))
    assert [c.metric for c in export.checks] == ["PSNR dB vs fp32"] * 2
    assert all(c.value >= 45 for c in export.checks), export.checks
    assert export.record["verification"]["images"].startswith("samples/pairs/blur")


def test_fp16_quality_with_random_weights_is_within_45_db(random_models, graph):
    """No trained quality weights exist yet: this checks the fp16 graph's arithmetic on an
    untrained MPRNet (its output is the input plus a residual), not a trained one."""
    checks, _ = verify(random_models["quality"], "fp16", graph("quality", "fp16"),
                       ((1, 64, 96),))
    assert checks[0].metric == "PSNR dB vs fp32" and checks[0].value >= 45


def test_verification_fails_for_a_graph_of_other_weights(random_models, graph):
    """Both checks can fail: the fast graph judged against differently initialised weights."""
    entry = models.resolve("fast")
    other = models.LoadedModel(entry, random_model(entry.construct, seed=1), {})
    checks, _ = verify(other, "fp32", graph("fast", "fp32"), ((1, 40, 56),))
    assert {c.graph for c in checks} == {"fp32 uint8", "fp32 pre-round"}
    assert not any(c.passed for c in checks)


def test_crops_are_natural_image_patches_of_the_requested_shape():
    images, source = onnx_verify.sample_images()
    frames = crops((2, 97, 130), images)
    assert frames.shape == (2, 97, 130, 3) and frames.dtype == np.uint8
    assert not np.array_equal(frames[0], frames[1])
    assert source.startswith("samples/pairs/blur")


def test_sidecar_records_model_weights_precision_opset_and_checks(weights_dir, tmp_path):
    model = models.load("fast")
    target = tmp_path / "out" / "fast.onnx"
    write_export(build_export(model, "fp32", ((1, 40, 56),)), target)
    record = json.loads(sidecar_path(target).read_text())
    assert record["model"] == "deblurganv2-mobilenet-dsc"
    assert record["weights_sha256"] == sha256_of(model.entry.weights_path())
    assert record["precision"] == "fp32" and record["opset"] == OPSET
    assert record["onnx_sha256"] == sha256_of(target)
    assert record["input"]["dtype"] == "uint8" and record["input"]["name"] == INPUT_NAME
    assert record["verification"]["passed"] is True
    assert [c["shape"] for c in record["verification"]["checks"]] == [[1, 40, 56]] * 2
    # no temporary files left behind
    assert sorted(p.name for p in target.parent.iterdir()) == ["fast.json", "fast.onnx"]


@pytest.fixture
def quick_cli(monkeypatch, random_models, graph):
    """`deblur onnx` verifying at one small size (the real command checks 640x360 too), on
    the graph this module already exported from the same seed-0 weights as weights_dir's."""
    names = {m.entry.name: alias for alias, m in random_models.items()}
    monkeypatch.setattr(onnx_artifact, "export_onnx",
                        lambda model, precision: graph(names[model.entry.name], precision))
    monkeypatch.setattr(onnx_cmd, "build_export",
                        functools.partial(build_export, shapes=((1, 40, 56),)))


def test_cli_refuses_to_overwrite_then_exports_with_y(weights_dir, tmp_path, quick_cli, capsys):
    target = tmp_path / "fast.onnx"
    target.write_bytes(b"keep me")
    assert cli.main(["onnx", "--model", "fast", "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.endswith("exists; pass -y to overwrite")
    assert target.read_bytes() == b"keep me" and not sidecar_path(target).exists()

    assert cli.main(["onnx", "--model", "fast", "-o", str(target), "-y"]) == 0
    out = capsys.readouterr().out
    assert "max abs err" in out and "56x40" in out and "FAIL" not in out
    assert sidecar_path(target).is_file()
    frame = crops((1, 40, 56), onnx_verify.sample_images()[0])
    assert _session(target.read_bytes()).run(None, {INPUT_NAME: frame})[0].shape == frame.shape


@pytest.mark.parametrize("name", ["fast.json", "fast"])
def test_cli_wants_an_onnx_file_name(weights_dir, tmp_path, name, capsys):
    out = tmp_path / "out"
    assert cli.main(["onnx", "--model", "fast", "-o", str(out / name)]) == 2
    assert capsys.readouterr().err.strip().endswith("give the output a .onnx name")
    assert not out.exists()


def test_cli_writes_nothing_when_verification_fails(weights_dir, tmp_path, quick_cli,
                                                    monkeypatch, capsys):
    monkeypatch.setattr(onnx_verify, "MAX_ABS_ERR", 0.0)   # no graph is bit-exact in floats
    target = tmp_path / "fast.onnx"
    assert cli.main(["onnx", "--model", "fast", "-o", str(target)]) == 2
    captured = capsys.readouterr()
    assert "FAIL" in captured.out
    assert captured.err.strip().splitlines()[-1].endswith("verification failed, nothing written")
    assert not target.exists() and not sidecar_path(target).exists()
