"""`--backend auto`: the fastest backend that can run here, and what it skipped on the way."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import models
from app.cli import main
from engine.backends import create_backend
from engine.errors import BackendUnavailable


def test_auto_skips_what_cannot_run_and_says_why(weights_dir):
    model = models.load("fast")
    backend = create_backend("auto", model)
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: auto legitimately picks a GPU backend")
    assert backend.device == "cpu"
    assert any(s.startswith("torch (cuda)") for s in backend.auto_skipped)
    frames = np.zeros((1, 20, 30, 3), np.uint8)
    assert backend.infer(frames).shape == frames.shape


def test_auto_with_a_cpu_device_never_tries_cuda(weights_dir):
    backend = create_backend("auto", models.load("fast"), device="cpu")
    assert backend.device == "cpu"
    assert not any("cuda" in s for s in backend.auto_skipped)


def test_unknown_backend_and_missing_cuda_are_one_line_errors(weights_dir):
    with pytest.raises(BackendUnavailable, match="unknown backend 'warp'"):
        create_backend("warp", models.load("fast"))
    if not torch.cuda.is_available():
        with pytest.raises(BackendUnavailable, match="no CUDA GPU"):
            create_backend("torch", models.load("fast"), device="cuda")


def test_cli_reports_the_auto_choice(weights_dir, tmp_path, capsys):
    image = tmp_path / "in" / "a.png"
    image.parent.mkdir()
    import cv2
    cv2.imwrite(str(image), np.full((24, 40, 3), 128, np.uint8))
    assert main(["image", str(image), "-o", str(tmp_path / "out")]) == 0
    assert "backend auto -> deblurganv2-mobilenet-dsc on" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["image", str(image), "-o", str(tmp_path / "out"), "-y",
                     "--backend", "torch", "--device", "cuda"]) == 2
