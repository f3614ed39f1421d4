"""`deblur export` never loses a user's work: no input is ever the output, an output it cannot
write is refused before the model loads, OS errors and signals end in one line with nothing
half-written left behind."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import main
from tests.mounts import fill, read_only_folder, tmpfs
from tests.videos import make_video, patches

ROOT = Path(__file__).resolve().parent.parent


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".part" in p.name]


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("deblur: "), err
    return err[0]


def snapshot(folder: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()}


@pytest.mark.parametrize("how", ["reference itself", "symlink to the reference",
                                 "hard link to the reference", "hard link to the input"])
def test_no_input_of_any_kind_is_the_output(tmp_path, weights_dir, capsys, how):
    source = make_video(tmp_path / "in.mp4", 3)
    reference = make_video(tmp_path / "ref.mp4", 3)
    out = {"reference itself": reference, "symlink to the reference": tmp_path / "s.mp4",
           "hard link to the reference": tmp_path / "h.mp4",
           "hard link to the input": tmp_path / "hi.mp4"}[how]
    if how.startswith("symlink"):
        out.symlink_to(reference)
    elif how.startswith("hard link"):
        os.link(source if how.endswith("input") else reference, out)
    before = snapshot(tmp_path)
    assert main(["export", str(source), "-o", str(out), "--reference", str(reference),
                 "-y"]) == 2
    assert "is also an input" in one_line(capsys)
    assert snapshot(tmp_path) == before


@pytest.fixture
def no_model(tmp_path, monkeypatch):
    """No weights at all: a check that passes on to the model ends in 'not trained yet', so
    the refusals below are seen to come before the model loads."""
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(tmp_path / "no-weights"))


@pytest.mark.parametrize("name, says", [("out.png", "picture format"),
                                        ("out.JPG", "picture format"),
                                        ("out.tiff", "picture format"),
                                        ("out.h264", "keeps no frame times"),
                                        ("out.yuv", "keeps no frame times"),
                                        ("out.opus", "FFmpeg cannot write"),
                                        ("out.y4m", "FFmpeg cannot write"),
                                        ("out", "cannot tell the container")])
def test_an_output_that_cannot_be_written_properly_is_refused_before_the_model(
        tmp_path, no_model, capsys, name, says):
    source = make_video(tmp_path / "in.mp4", 3)
    before = snapshot(tmp_path)
    assert main(["export", str(source), "-o", str(tmp_path / name)]) == 2
    assert says in one_line(capsys)
    assert snapshot(tmp_path) == before and not (Path.cwd() / name).exists()


def test_a_read_only_output_folder_is_refused_before_the_model(tmp_path, no_model, capsys):
    source = make_video(tmp_path / "in.mp4", 3)
    with read_only_folder(tmp_path / "ro") as folder:
        assert main(["export", str(source), "-o", str(folder / "out.mp4")]) == 2
        line = one_line(capsys)
        assert str(folder) in line and "choose another folder" in line
        assert list(folder.iterdir()) == []


def test_a_full_disk_is_refused_before_the_model(tmp_path, no_model, capsys):
    source = make_video(tmp_path / "in.mp4", 3)
    with tmpfs(tmp_path / "full", "64k") as folder:
        fill(folder)
        assert main(["export", str(source), "-o", str(folder / "out.mp4")]) == 2
        assert "0.0 MB free on its disk" in one_line(capsys)
        assert [p.name for p in folder.iterdir()] == ["filler"]


def test_a_disk_filling_up_mid_run_ends_in_one_line_exit_1_and_leaves_nothing(tmp_path,
                                                                             weights_dir):
    source = make_video(tmp_path / "in.mp4", 2000, content=lambda i: patches())
    with tmpfs(tmp_path / "disk", "1m") as folder:
        out = folder / "out.mp4"
        env = {**os.environ, "DEBLUR_WEIGHTS_DIR": str(weights_dir)}
        child = subprocess.Popen([sys.executable, "-m", "app.cli", "export", str(source), "-o",
                                  str(out)], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                                 text=True)
        while not leftovers(folder) and child.poll() is None:
            time.sleep(0.05)                      # wait until it is writing, then fill up
        fill(folder)
        _, err = child.communicate(timeout=300)
        assert child.returncode == 1, err
        assert "Traceback" not in err
        last = err.strip().splitlines()[-1]
        assert last.startswith(f"deblur: {out}: cannot write (No space left on device) after ")
        assert "nothing was kept" in last
        assert [p.name for p in folder.iterdir()] == ["filler"]
