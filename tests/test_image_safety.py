"""`deblur image` never loses a user's work: no input is overwritten, two inputs never share
an output, an output folder it cannot write is refused before the model loads, and OS errors
end in one line with nothing half-written."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli import main
from tests.mounts import fill, read_only_folder, tmpfs


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


@pytest.fixture
def no_model(tmp_path, monkeypatch):
    """No weights: a check made after the model loads would end in 'not trained yet'."""
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(tmp_path / "no-weights"))


@pytest.mark.parametrize("where", ["the folder", "a folder to create in it"])
def test_a_read_only_outdir_is_refused_before_the_model(tmp_path, no_model, capsys, where):
    source = write(tmp_path / "a.png")
    with read_only_folder(tmp_path / "ro") as folder:
        out = folder if where == "the folder" else folder / "new" / "deeper"
        assert main(["image", str(source), "-o", str(out)]) == 2
        line = one_line(capsys)
        assert line.startswith(f"deblur: {folder}: cannot write (") and "choose another" in line
        assert list(folder.iterdir()) == []


def test_a_full_disk_is_refused_before_the_model(tmp_path, no_model, capsys):
    source = write(tmp_path / "a.png")
    with tmpfs(tmp_path / "full", "64k") as folder:
        fill(folder)
        assert main(["image", str(source), "-o", str(folder)]) == 2
        assert "0.0 MB free on its disk" in one_line(capsys)


def test_a_disk_filling_up_mid_run_stops_in_one_line_with_exit_1(tmp_path, weights_dir,
                                                                 capsys):
    """Two small JPEGs whose PNGs only the first of fits: the second fails while written."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for k in (1, 2):
        noise = np.random.default_rng(k).integers(0, 256, (160, 160, 3), np.uint8)
        assert cv2.imwrite(str(inputs / f"{k}.jpg"), noise, [cv2.IMWRITE_JPEG_QUALITY, 20])
    assert main(["image", str(inputs), "-o", str(tmp_path / "roomy")]) == 0
    sizes = [(tmp_path / "roomy" / f"{k}.png").stat().st_size for k in (1, 2)]
    pages = -(-sizes[0] // 4096) + 2          # the first PNG and a little, not the second
    assert sizes[1] > 3 * 4096
    capsys.readouterr()
    with tmpfs(tmp_path / "disk", f"{pages * 4}k") as folder:
        assert main(["image", str(inputs), "-o", str(folder)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1] == (f"deblur: {folder / '2.png'}: cannot write (No space left on "
                           "device) after 1 image(s) were written; free some space or choose "
                           "another folder")
        assert sorted(p.name for p in folder.iterdir()) == ["1.png"]   # whole, no .part


@pytest.mark.parametrize("channels", [3, 1, 4])
def test_a_16_bit_png_comes_out_16_bit_with_its_extra_bits_kept(tmp_path, weights_dir,
                                                               channels):
    """The model sees the 8-bit version; what it changed is added to the 16-bit pixels, so
    output - input is a multiple of 257 (one 8-bit step) wherever it is not clipped."""
    y, x = np.mgrid[0:48, 0:64]
    ramp = (20000 + x * 37 + y * 11).astype(np.uint16)          # shades 8 bits cannot tell
    pixels = {3: np.dstack([ramp, ramp[::-1], ramp[:, ::-1]]), 1: ramp,
              4: np.dstack([ramp, ramp[::-1], ramp[:, ::-1], 65535 - ramp])}[channels]
    source = tmp_path / "deep.png"
    assert cv2.imwrite(str(source), pixels)
    out = tmp_path / "out"
    assert main(["image", str(source), "-o", str(out)]) == 0
    restored = cv2.imread(str(out / "deep.png"), cv2.IMREAD_UNCHANGED)
    assert restored.dtype == np.uint16 and restored.shape == pixels.shape
    colour = restored[..., :3] if channels == 4 else restored
    change = colour.astype(np.int64) - (pixels[..., :3] if channels == 4 else pixels)
    inside = (colour > 0) & (colour < 65535)
    if channels != 1:   # grey is the mix of three such channels
        assert inside.mean() > 0.9 and np.all(change[inside] % 257 == 0)
    assert len(np.unique(colour)) > 4 * len(np.unique(colour >> 8))   # not 8-bit in disguise
    if channels == 4:
        np.testing.assert_array_equal(restored[..., 3], pixels[..., 3])   # alpha untouched
