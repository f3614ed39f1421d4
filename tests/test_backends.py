"""Every backend that can run here gives PyTorch fp32's pixels on the same frames, up to its
precision; the onnxruntime backend exports once into the user's cache and re-exports what is
corrupt; backends that cannot run say why in one line."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

import models
from engine.backends import BACKENDS, create_backend
from engine.backends.onnxruntime_backend import OnnxRuntimeBackend, physical_cores
from engine.backends.options import OnnxRuntimeOptions
from engine.errors import BackendUnavailable, InputError
from export import onnx_artifact
from export.onnx_export import frame_module
from export.onnx_verify import MIN_PSNR_DB, crops, psnr, sample_images
from models.registry import PACKAGED_WEIGHTS


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "deblur"


@pytest.fixture(params=["fast", "quality"])
def model(request, weights_dir, monkeypatch):
    """fast with its shipped weights (fp16 backends are judged on a trained network), quality
    with random weights (no trained ones exist yet)."""
    if request.param == "fast":
        monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(PACKAGED_WEIGHTS))
    return models.load(request.param)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_backend_gives_torch_fp32_pixels(name, model, cache_home):
    reason = BACKENDS[name].available()
    if reason:
        pytest.skip(f"{name}: {reason}")
    frames = crops((2, 97, 130), sample_images()[0])
    with torch.inference_mode():
        expected = frame_module(model, "fp32")(torch.from_numpy(frames)).numpy()
    backend = create_backend(name, model)
    got = backend.infer(frames)
    assert got.shape == frames.shape and got.dtype == np.uint8
    if backend.precision == "fp32":
        diff = np.abs(got.astype(int) - expected)
        assert diff.max() <= 1 and (diff > 0).mean() < 1e-3   # rounding flips only
    else:
        assert psnr(expected, got) >= MIN_PSNR_DB


def test_onnxruntime_exports_once_into_the_cache(weights_dir, cache_home, monkeypatch, capsys):
    model = models.load("fast")
    OnnxRuntimeBackend(model, "cpu")
    (graph,) = (cache_home / "onnx").glob("*.onnx")
    assert graph.with_suffix(".json").is_file()
    assert "exporting deblurganv2-mobilenet-dsc (fp32) to ONNX once" in capsys.readouterr().err

    def no_export(*args, **kwargs):
        raise AssertionError("exported again although the cache holds a verified export")
    monkeypatch.setattr(onnx_artifact, "export_onnx", no_export)
    OnnxRuntimeBackend(model, "cpu")
    assert capsys.readouterr().err == ""


def test_onnxruntime_re_exports_a_corrupt_cached_graph(weights_dir, cache_home):
    model = models.load("fast")
    OnnxRuntimeBackend(model, "cpu")
    (graph,) = (cache_home / "onnx").glob("*.onnx")
    good = graph.read_bytes()
    graph.write_bytes(good[: len(good) // 2])
    backend = OnnxRuntimeBackend(model, "cpu")
    assert graph.read_bytes() == good   # the export is deterministic
    frame = np.zeros((1, 8, 8, 3), np.uint8)
    assert backend.infer(frame).shape == frame.shape


def test_onnxruntime_cpu_session_is_tuned(weights_dir, cache_home):
    backend = OnnxRuntimeBackend(models.load("fast"), "cpu")
    options = backend.session.get_session_options()
    assert options.intra_op_num_threads == physical_cores()
    assert options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert backend.session.get_providers() == ["CPUExecutionProvider"]
    assert (backend.name, backend.device, backend.precision) == ("onnxruntime", "cpu", "fp32")


def test_onnxruntime_results_are_not_overwritten_by_the_next_batch(weights_dir, cache_home):
    backend = OnnxRuntimeBackend(models.load("fast"), "cpu")
    rng = np.random.default_rng(0)
    first_frames, second_frames = (rng.integers(0, 256, (1, 40, 56, 3), np.uint8)
                                   for _ in range(2))
    first = backend.infer(first_frames)
    kept = first.copy()
    backend.infer(second_frames)
    np.testing.assert_array_equal(first, kept)


def test_onnxruntime_rejects_frames_that_are_not_uint8_rgb(weights_dir, cache_home):
    backend = OnnxRuntimeBackend(models.load("fast"), "cpu")
    with pytest.raises(InputError, match="uint8 N x H x W x 3"):
        backend.infer(np.zeros((1, 8, 8, 3), np.float32))


def test_onnxruntime_without_cuda_provider_says_what_to_install(weights_dir, cache_home):
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has the CUDA execution provider")
    assert "onnxruntime-gpu" in OnnxRuntimeBackend.available("cuda")
    with pytest.raises(BackendUnavailable, match="onnxruntime-gpu"):
        OnnxRuntimeBackend(models.load("fast"), "cuda")
    with pytest.raises(BackendUnavailable, match="fp16 is for CUDA"):
        OnnxRuntimeBackend(models.load("fast"), "cpu", OnnxRuntimeOptions(precision="fp16"))
