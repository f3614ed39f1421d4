"""Shared fixtures. Models are saved with random weights through the real registry
(safetensors + card + checksum) into a temporary weights folder, so tests exercise the same
loading path as the shipped weights without depending on them."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import models
from tests.helpers import random_model


@pytest.fixture
def weights_dir(tmp_path, monkeypatch):
    """A weights folder holding randomly initialised `fast` and `quality` models."""
    directory = tmp_path / "weights"
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(directory))
    for alias in ("fast", "quality"):
        entry = models.resolve(alias)
        models.save(entry.name, random_model(entry.construct),
                    {"steps": 0, "recipe": "random init (tests)"}, directory)
    return directory


@pytest.fixture(autouse=True, scope="session")
def user_cache(tmp_path_factory):
    """Backends cache ONNX exports and engines under $XDG_CACHE_HOME/deblur: during tests that
    is a per-run folder, not the user's ~/.cache (shared by the run, so an export is reused)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    yield
    patch.undo()
