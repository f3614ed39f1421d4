"""`deblur image` never loses a user's work: no input is overwritten, two inputs never share
an output, an output folder it cannot write is refused before the model loads, and OS errors
end in one line with nothing half-written."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli import main


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("deblur: "), err
    return err[0]


def snapshot(folder: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}


def write(path: Path, shape=(24, 32, 3), seed: int = 0) -> Path:
    assert cv2.imwrite(str(path), np.random.default_rng(seed).integers(0, 256, shape, np.uint8))
    return path


@pytest.fixture
def pair(tmp_path) -> Path:
    """A folder holding a.jpg and a.png: both would become a.png."""
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "a.jpg", seed=1)
    write(folder / "a.png", seed=2)
    return folder


@pytest.mark.parametrize("given", ["folder", "files"])
def test_output_over_an_input_is_refused_up_front(pair, weights_dir, capsys, given):
    before = snapshot(pair)
    inputs = [str(pair)] if given == "folder" else [str(pair / "a.jpg"), str(pair / "a.png")]
    assert main(["image", *inputs, "-o", str(pair), "-y"]) == 2
    assert "is also an input" in one_line(capsys)
    assert snapshot(pair) == before


@pytest.mark.parametrize("given", ["folder", "files"])
def test_two_inputs_sharing_an_output_name_are_refused_up_front(pair, tmp_path, weights_dir,
                                                                capsys, given):
    out = tmp_path / "out"
    inputs = [str(pair)] if given == "folder" else [str(pair / "a.jpg"), str(pair / "a.png")]
    assert main(["image", *inputs, "-o", str(out)]) == 2
    line = one_line(capsys)
    assert "would both be written to" in line and str(out / "a.png") in line
    assert not out.exists()


def test_the_same_file_given_twice_is_restored_once_beside_itself(tmp_path, weights_dir,
                                                                  capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    source = write(folder / "b.jpg")
    assert main(["image", str(folder), str(source), "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["b.jpg", "b.png"]
    assert "1 restored, 0 skipped" in capsys.readouterr().err
