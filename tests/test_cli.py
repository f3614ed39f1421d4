"""The `deblur` command: the models table and `deblur image` on good and bad files."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _write(path: Path, pixels: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), pixels)
    return path


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    _write(folder / "colour.png", rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))
    _write(folder / "grey.jpg", rng.integers(0, 256, (40, 30), dtype=np.uint8))
    _write(folder / "alpha.png", rng.integers(0, 256, (20, 24, 4), dtype=np.uint8))
    (folder / "empty.png").write_bytes(b"")
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (folder / "notes.txt").write_text("ignored: not an image suffix")
    return folder


def test_models_table_lists_every_model(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(tmp_path))
    assert main(["models"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["name", "alias"]
    rows = {line.split()[0]: line for line in out[1:]}
    assert set(rows) == {"deblurganv2-mobilenet-dsc", "deblurganv2-mobilenetv2", "mprnet-slim",
                         "mprnet", "fusion-refiner"}
    assert "fast" in rows["deblurganv2-mobilenet-dsc"] and "10.0" in rows[
        "deblurganv2-mobilenet-dsc"]
    # an empty weights dir: no restorer is trained there; the helper comes from the shipped ones
    assert all("not trained yet" in row for name, row in rows.items() if name != "fusion-refiner")
    assert "trained, 6000 steps" in rows["fusion-refiner"]


def test_models_table_shows_trained_steps(capsys, weights_dir):
    assert main(["models"]) == 0
    assert "trained, 0 steps" in capsys.readouterr().out


def test_image_restores_good_files_and_names_each_bad_one(inputs, tmp_path, capsys,
                                                         weights_dir):
    out = tmp_path / "out"
    assert main(["image", str(inputs), "-o", str(out)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "empty" in line
              or "corrupt" in line]
    assert len(errors) == 2 and all(line.startswith("deblur: ") for line in errors)
    assert sorted(p.name for p in out.iterdir()) == ["alpha.png", "colour.png", "grey.png"]
    for name, shape in [("colour", (37, 53, 3)), ("grey", (40, 30)), ("alpha", (20, 24, 4))]:
        restored = cv2.imread(str(out / f"{name}.png"), cv2.IMREAD_UNCHANGED)
        assert restored.shape == shape
    alpha_in = cv2.imread(str(inputs / "alpha.png"), cv2.IMREAD_UNCHANGED)[..., 3]
    np.testing.assert_array_equal(
        cv2.imread(str(out / "alpha.png"), cv2.IMREAD_UNCHANGED)[..., 3], alpha_in)


def test_image_refuses_to_overwrite_without_y(inputs, tmp_path, capsys, weights_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "colour.png").write_bytes(b"keep me")
    source = str(inputs / "colour.png")
    assert main(["image", source, "-o", str(out)]) == 2
    assert "pass -y" in capsys.readouterr().err
    assert (out / "colour.png").read_bytes() == b"keep me"
    assert main(["image", source, "-o", str(out), "-y"]) == 0
    assert cv2.imread(str(out / "colour.png")).shape == (37, 53, 3)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]   # no temporary files


def test_image_all_good_exits_zero_and_missing_input_exits_two(inputs, tmp_path, weights_dir,
                                                               capsys):
    assert main(["image", str(inputs / "colour.png"), "-o", str(tmp_path / "a")]) == 0
    assert main(["image", str(tmp_path / "nowhere.png"), "-o", str(tmp_path / "b")]) == 2
    assert "nowhere.png: no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_untrained_model_is_one_line_and_writes_nothing(inputs, tmp_path, monkeypatch):
    """Through the installed console script: one line on stderr, exit 2, no traceback."""
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(tmp_path / "no-weights"))
    out = tmp_path / "out"
    deblur = Path(sys.executable).parent / "deblur"
    result = subprocess.run([str(deblur), "image", str(inputs), "-o", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("deblur: model 'deblurganv2-mobilenet-dsc' is not trained yet")
    assert not out.exists()


def test_trained_steps_add_up_over_the_runs_the_weights_came_from():
    from app.commands.models_cmd import total_steps
    card = {"steps": 2400, "init": {"steps": 2250, "init": {"steps": 100, "init": None}}}
    assert total_steps(card) == (4750, 3)
    assert total_steps({"steps": 7}) == (7, 1)
    assert total_steps({}) == ("?", 1)
