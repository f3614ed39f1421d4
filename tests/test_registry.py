"""The registry: names and aliases, verified safetensors loading, clear failures."""
import json

import pytest
import torch

import models
from models import ModelError
from tests.helpers import random_model


def test_aliases_and_specs():
    assert models.resolve("fast").name == "deblurganv2-mobilenet-dsc"
    assert models.resolve("quality").name.startswith("mprnet")
    assert models.resolve("fast").spec.pad_multiple == 32
    assert models.resolve("quality").spec.input_range == (0.0, 1.0)
    with pytest.raises(ModelError, match="unknown model 'nope'.*fast"):
        models.resolve("nope")


def test_missing_weights_say_not_trained_yet(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(ModelError, match="not trained yet") as error:
        models.load("fast")
    assert "\n" not in str(error.value)


def test_loaded_model_is_the_saved_one_in_eval_mode(weights_dir):
    loaded = models.load("fast")
    assert not loaded.module.training
    reference = random_model(models.resolve("fast").construct)   # what the fixture saved
    frame = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(loaded.module(frame), reference(frame))
    card = json.loads((weights_dir / "deblurganv2-mobilenet-dsc.json").read_text())
    assert card["sha256"] == models.registry.sha256_of(models.resolve("fast").weights_path())
    assert card["config"]["separable"] is True


def test_a_changed_weights_file_fails_its_checksum(weights_dir):
    path = models.resolve("fast").weights_path()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="fail their checksum"):
        models.load("fast")


def test_unreadable_or_mismatched_weights_are_reported(weights_dir):
    entry = models.resolve("fast")
    # A garbage file whose card was updated to match: the checksum passes, the format fails.
    entry.weights_path().write_bytes(b"not safetensors at all")
    card = json.loads(entry.card_path().read_text())
    card["sha256"] = models.registry.sha256_of(entry.weights_path())
    entry.card_path().write_text(json.dumps(card))
    with pytest.raises(ModelError, match="cannot be read"):
        models.load("fast")
    # Weights of another architecture saved under this name.
    models.save("deblurganv2-mobilenetv2", random_model(models.resolve("quality").construct),
                {"steps": 0}, weights_dir)
    with pytest.raises(ModelError, match="do not fit"):
        models.load("deblurganv2-mobilenetv2")
