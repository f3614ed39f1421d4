"""`deblur export` never loses a user's work: no input is ever the output, an output it cannot
write is refused before the model loads, OS errors and signals end in one line with nothing
half-written left behind."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.cli import main
from tests.videos import make_video


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
