"""TensorRT without TensorRT: profiles from the command line, engine cache keys, stale and
corrupt engines rebuilt, and the one-line refusal where tensorrt is not importable. The tests
that build and run real engines skip where tensorrt or a CUDA GPU is missing."""
from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest
import torch

import models
from app import cli
from common.sizes import SizeError
from engine.backends import create_backend
from engine.backends.options import TensorRTOptions
from engine.backends.tensorrt_backend import TensorRTBackend
from engine.errors import BackendUnavailable
from export import tensorrt_build
from export.engine_cache import EngineCache, EngineKey
from export.engine_profile import DEFAULT_PROFILE, Profile, profile_from_options
from export.errors import ExportError
from export.onnx_verify import crops, psnr, sample_images
from export.tensorrt_build import TENSORRT_HINT, graph_precision, tensorrt_missing
from models.registry import PACKAGED_WEIGHTS

HARDWARE_SKIP = "tensorrt is not importable: pip install .[tensorrt] on an NVIDIA machine"


@pytest.fixture
def no_tensorrt(monkeypatch):
    """tensorrt not importable, also on a machine that has it."""
    monkeypatch.setitem(sys.modules, "tensorrt", None)


# --- profiles ------------------------------------------------------------------------------

def test_sizes_span_the_profile_and_the_first_is_opt():
    profile = profile_from_options(["1280x720", "640x360", "1920x1080"])
    assert profile == Profile((1, 360, 640, 3), (1, 720, 1280, 3), (1, 1080, 1920, 3))


def test_explicit_min_opt_max_with_batch():
    profile = profile_from_options(None, "320x240", "640x480", "1280x960", batch=4)
    assert profile == Profile((1, 240, 320, 3), (4, 480, 640, 3), (4, 960, 1280, 3))
    assert profile.covers((2, 300, 500, 3)) and not profile.covers((5, 300, 500, 3))
    assert not profile.covers((1, 200, 500, 3))


def test_no_options_give_the_default_profile():
    assert profile_from_options() == DEFAULT_PROFILE
    for shape in ((1, 720, 1280, 3), (1, 1080, 1920, 3), (1, 1920, 1080, 3), (1, 97, 130, 3)):
        assert DEFAULT_PROFILE.covers(shape), shape   # landscape, portrait, small


@pytest.mark.parametrize("options, error, message", [
    ((["1280x"],), SizeError, "--size '1280x' is not WIDTHxHEIGHT"),
    ((["0x720"],), SizeError, "not WIDTHxHEIGHT"),
    ((None, "320x240", "640x", "1280x960"), SizeError, "--opt '640x'"),
    ((["640x360"], "320x240", None, None), ExportError, "either --size or --min/--opt/--max"),
    ((None, "320x240", "640x480", None), ExportError, "go together"),
    ((None, "640x480", "320x240", "1280x960"), ExportError, "min <= opt <= max"),
])
def test_bad_profile_options_are_one_line_errors(options, error, message):
    with pytest.raises(error, match=message) as raised:
        profile_from_options(*options)
    assert "\n" not in str(raised.value)


# --- cache keys and invalidation -----------------------------------------------------------

KEY = EngineKey("deblurganv2-mobilenet-dsc", "onnx", "a" * 64, "10.9.0", "NVIDIA H100",
                "9.0", "fp16", DEFAULT_PROFILE)
CHANGES = {"model": "mprnet-slim", "via": "torch-tensorrt", "source_sha256": "b" * 64,
           "tensorrt_version": "11.0.0", "gpu_name": "NVIDIA L4", "compute_capability": "8.9",
           "precision": "fp32", "profile": profile_from_options(["640x360"])}


def test_changes_cover_every_key_field():
    assert set(CHANGES) == {f.name for f in dataclasses.fields(EngineKey)}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_key_digest_changes_with_every_component(field):
    changed = dataclasses.replace(KEY, **{field: CHANGES[field]})
    assert changed.digest() != KEY.digest()


def test_new_weights_or_tensorrt_reuse_the_slot_other_gpus_or_profiles_do_not():
    """A slot is one file: replaced when the source or TensorRT changes, kept side by side
    for another GPU, profile, precision or model."""
    same = {"source_sha256", "tensorrt_version"}
    for field, value in CHANGES.items():
        changed = dataclasses.replace(KEY, **{field: value})
        assert (changed.slot() == KEY.slot()) == (field in same), field


class FakeBuilder:
    """Stands in for TensorRT's builder and runtime in cache tests: 'engines' are bytes that
    name their key, and deserialising checks that marker."""

    def __init__(self):
        self.builds = 0

    def build(self, key: EngineKey):
        def run() -> bytes:
            self.builds += 1
            return b"ENGINE " + key.digest().encode()
        return run

    @staticmethod
    def deserialize(data: bytes) -> str | None:
        return data.decode() if data.startswith(b"ENGINE ") else None


def _load(cache: EngineCache, key: EngineKey, fake: FakeBuilder) -> tuple[str, str]:
    return cache.load_or_build(key, fake.build(key), fake.deserialize)


def test_engine_is_built_once_then_read_from_the_cache(tmp_path):
    cache, fake = EngineCache(tmp_path), FakeBuilder()
    engine, status = _load(cache, KEY, fake)
    assert status == "built (not built yet)" and fake.builds == 1
    again, status = _load(cache, KEY, fake)
    assert (again, status, fake.builds) == (engine, "cached", 1)
    assert cache.engine_path(KEY).is_file() and cache.meta_path(KEY).is_file()


def test_engine_for_another_tensorrt_version_is_stale_and_rebuilt(tmp_path):
    cache, fake = EngineCache(tmp_path), FakeBuilder()
    _load(cache, KEY, fake)
    upgraded = dataclasses.replace(KEY, tensorrt_version="10.10.0")
    assert cache.state(upgraded).reason == "stale: tensorrt_version '10.9.0' -> '10.10.0'"
    engine, status = _load(cache, upgraded, fake)
    assert status.startswith("built (stale") and fake.builds == 2
    assert engine == "ENGINE " + upgraded.digest()
    assert cache.state(upgraded).reason == "cached" and cache.state(KEY).reason.startswith("stale")


def test_engine_with_flipped_bytes_fails_its_checksum_and_is_rebuilt(tmp_path):
    cache, fake = EngineCache(tmp_path), FakeBuilder()
    _load(cache, KEY, fake)
    data = bytearray(cache.engine_path(KEY).read_bytes())
    data[-1] ^= 0xFF
    cache.engine_path(KEY).write_bytes(bytes(data))
    assert cache.state(KEY).reason == "corrupt: engine file fails its checksum"
    engine, status = _load(cache, KEY, fake)
    assert status == "built (corrupt: engine file fails its checksum)" and fake.builds == 2
    assert engine == "ENGINE " + KEY.digest()


def test_engine_without_readable_metadata_is_not_trusted(tmp_path):
    cache, fake = EngineCache(tmp_path), FakeBuilder()
    _load(cache, KEY, fake)
    cache.meta_path(KEY).write_text("{not json")
    assert cache.state(KEY).reason.startswith("corrupt: its metadata")
    _load(cache, KEY, fake)
    assert fake.builds == 2 and cache.state(KEY).reason == "cached"


def test_engine_the_runtime_cannot_deserialise_is_rebuilt(tmp_path):
    """Checksum intact but the runtime refuses it (e.g. a driver change): rebuild."""
    cache, fake = EngineCache(tmp_path), FakeBuilder()
    cache.store(KEY, b"not an engine")
    assert cache.state(KEY).reason == "cached"
    engine, status = _load(cache, KEY, fake)
    assert status == "built (corrupt: the runtime cannot deserialise it)"
    assert engine == "ENGINE " + KEY.digest()


def test_fresh_engine_that_does_not_deserialise_is_an_error_and_not_cached(tmp_path):
    cache = EngineCache(tmp_path)
    with pytest.raises(ExportError, match="does not deserialise"):
        cache.load_or_build(KEY, lambda: b"garbage", FakeBuilder.deserialize)
    assert not cache.engine_path(KEY).exists()


def test_cache_lives_under_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert EngineCache().engine_path(KEY).parent == tmp_path / "deblur" / "engines"


def test_profile_built_by_the_engine_command_is_remembered_per_model(tmp_path):
    cache = EngineCache(tmp_path)
    assert cache.remembered_profile("mprnet-slim") is None
    profile = profile_from_options(["3840x2160", "1920x1080"], batch=2)
    cache.remember_profile("mprnet-slim", profile)
    assert cache.remembered_profile("mprnet-slim") == profile
    assert cache.remembered_profile("deblurganv2-mobilenet-dsc") is None
    for broken in ('{"min": [1, 2]}', '{"min": [1, 2], "opt": [1, 2], "max": [1, 2]}', "{"):
        (tmp_path / "mprnet-slim.profile.json").write_text(broken)
        assert cache.remembered_profile("mprnet-slim") is None   # the default serves


# --- TensorRT missing ----------------------------------------------------------------------

def test_tensorrt_10_gets_the_fp32_graph_and_11_the_fp16_graph():
    assert graph_precision(types.SimpleNamespace(__version__="10.13.3.9")) == "fp32"
    assert graph_precision(types.SimpleNamespace(__version__="11.0.0")) == "fp16"


def test_missing_tensorrt_is_reported_with_the_install_hint(no_tensorrt):
    assert tensorrt_missing("cuda") == TENSORRT_HINT
    assert TensorRTBackend.available("cuda") == TENSORRT_HINT


def test_engine_command_says_so_in_one_line_and_exits_2(no_tensorrt, capsys):
    assert cli.main(["engine", "--model", "fast", "--size", "1280x720"]) == 2
    err = capsys.readouterr().err
    assert err == f"deblur: {TENSORRT_HINT}\n"
    assert "pip install .[tensorrt]" in err


def test_engine_command_rejects_a_bad_profile_before_looking_for_tensorrt(no_tensorrt, capsys):
    assert cli.main(["engine", "--min", "640x360"]) == 2
    assert "go together" in capsys.readouterr().err


def test_tensorrt_backend_is_unavailable_with_the_hint(no_tensorrt, weights_dir):
    with pytest.raises(BackendUnavailable, match=r"pip install \.\[tensorrt\]"):
        create_backend("tensorrt", models.load("fast"))


def test_auto_skips_tensorrt_and_says_why(no_tensorrt, weights_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    backend = create_backend("auto", models.load("fast"))
    assert backend.name != "tensorrt"
    assert any(line.startswith("tensorrt") and "pip install .[tensorrt]" in line
               for line in backend.auto_skipped)


# --- real TensorRT (NVIDIA machines with the tensorrt extra) -------------------------------

def _require_tensorrt_gpu():
    pytest.importorskip("tensorrt", reason=HARDWARE_SKIP)
    if not torch.cuda.is_available():
        pytest.skip("TensorRT needs a CUDA GPU; PyTorch sees none")


@pytest.mark.parametrize("via", ["onnx", "torch-tensorrt"])
def test_engine_matches_torch_fp32_and_is_cached(via, tmp_path, monkeypatch):
    _require_tensorrt_gpu()
    if via == "torch-tensorrt":
        pytest.importorskip("torch_tensorrt", reason=HARDWARE_SKIP.replace("tensorrt is",
                                                                             "torch_tensorrt is"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(PACKAGED_WEIGHTS))   # fp16 needs trained weights
    model = models.load("fast")
    profile = profile_from_options(["160x96", "64x40"], batch=2)
    backend = TensorRTBackend(model, "cuda", TensorRTOptions(profile, via))
    # Three natural frames against a profile of batch 2: the backend runs them in two slices.
    frames = crops((3, 97, 130), sample_images()[0])
    reference = create_backend("torch", model, "cpu").infer(frames)
    assert psnr(reference, backend.infer(frames)) >= 45
    messages = []
    if via == "onnx":
        again = tensorrt_build.load_or_build_engine(model, profile, "cuda", messages.append)
        assert again.status == "cached" and not messages
