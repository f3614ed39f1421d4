"""common/: an atomic write is renamed into place on success and leaves nothing on error; the
stale sweep removes only what a killed writer left; a WxH size is read one way everywhere."""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess

import pytest

from common.atomic import (PendingFile, atomic_output, atomic_outputs, sweep_stale,
                           write_bytes_atomic, write_json_atomic, write_text_atomic)
from common.errors import UserError
from common.sizes import SizeError, parse_clip_size, parse_size, size_argument


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- atomic writes ---------------------------------------------------------------------------

def test_a_finished_write_is_renamed_into_place(tmp_path):
    target = tmp_path / "out.mp4"
    with atomic_output(target) as temporary:
        assert temporary.parent == tmp_path and temporary.suffix == ".mp4"
        assert temporary.name.startswith(f".out.mp4.deblur-{os.getpid()}-")
        temporary.write_bytes(b"whole")
        assert not target.exists()   # nobody sees it before it is whole
    assert target.read_bytes() == b"whole" and names(tmp_path) == ["out.mp4"]


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "card.json"
    target.write_text("old")
    for error in (OSError("disk full"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with atomic_output(target) as temporary:
                temporary.write_text("half")
                raise error
        assert names(tmp_path) == ["card.json"] and target.read_text() == "old"


def test_a_folder_is_filled_whole_or_not_at_all(tmp_path):
    target = tmp_path / "unpacked"
    with pytest.raises(ValueError):
        with atomic_output(target, folder=True) as folder:
            (folder / "a.txt").write_text("a")
            raise ValueError("a bad archive")
    assert names(tmp_path) == []
    with atomic_output(target, folder=True) as folder:
        (folder / "a.txt").write_text("a")
    assert names(tmp_path) == ["unpacked"] and (target / "a.txt").read_text() == "a"


def test_several_files_are_written_all_or_none(tmp_path):
    targets = [tmp_path / "clip.mp4", tmp_path / "clip.sharp.mkv"]
    with pytest.raises(RuntimeError):
        with atomic_outputs(targets) as temporaries:
            for temporary in temporaries:
                temporary.write_bytes(b"x")
            raise RuntimeError
    assert names(tmp_path) == []
    with atomic_outputs(targets) as temporaries:
        for temporary, text in zip(temporaries, (b"blurred", b"sharp")):
            temporary.write_bytes(text)
    assert [t.read_bytes() for t in targets] == [b"blurred", b"sharp"]


def test_write_helpers_make_the_folder_and_keep_the_umask(tmp_path):
    mask = os.umask(0o027)
    try:
        write_bytes_atomic(tmp_path / "a" / "b.bin", b"\x00\x01")
        write_text_atomic(tmp_path / "c.txt", "text")
        write_json_atomic(tmp_path / "d.json", {"k": [1]})
    finally:
        os.umask(mask)
    assert (tmp_path / "a" / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.txt").read_text() == "text"
    assert (tmp_path / "d.json").read_text() == json.dumps({"k": [1]}, indent=2) + "\n"
    assert (tmp_path / "c.txt").stat().st_mode & 0o777 == 0o640
    assert names(tmp_path) == ["a", "c.txt", "d.json"]


# --- the stale sweep -------------------------------------------------------------------------

def test_sweeping_removes_only_what_killed_writers_left(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead, alive = gone.pid, os.getpid()
    left = {"dead": f".x.mp4.deblur-{dead}-abc.part.mp4",
            "alive": f".y.mp4.deblur-{alive}-abc.part.mp4",
            "locked": f".z.mp4.deblur-{dead}-def.part.mp4",   # a writer in another namespace
            "not ours": f".w.mp4.{dead}.part.mp4"}
    for name in left.values():
        (tmp_path / name).write_bytes(b"")
    dead_folder = tmp_path / f".pkg.deblur-{dead}-ghi.part"   # an unpacking that was killed
    (dead_folder / "inside").mkdir(parents=True)
    writing = PendingFile(tmp_path / "now.mp4")   # this process's, locked while it lives
    with open(tmp_path / left["locked"]) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert sorted(sweep_stale(tmp_path)) == sorted([tmp_path / left["dead"], dead_folder])
    assert names(tmp_path) == sorted([n for k, n in left.items() if k != "dead"]
                                     + [writing.path.name])
    writing.commit()
    assert (tmp_path / "now.mp4").exists() and sweep_stale(tmp_path / "missing") == []


# --- sizes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, size", [("640x360", (640, 360)), ("640X360", (640, 360)),
                                        (" 1 x 2 ", (1, 2)), ("3840x2160", (3840, 2160))])
def test_sizes_are_read_as_width_by_height(text, size):
    assert parse_size(text) == size
    assert size_argument(text) == size


@pytest.mark.parametrize("text", ["0x10", "10x0", "-1x5", "12x", "x12", "720p", "", "1.5x2",
                                  "640x360x2", "640*360"])
def test_bad_sizes_are_one_line_errors_naming_the_option(text):
    with pytest.raises(SizeError, match=r"^--camera-size '.*' is not WIDTHxHEIGHT") as raised:
        parse_size(text, "--camera-size")
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, UserError) and isinstance(raised.value, ValueError)


def test_clip_sizes_are_even_and_at_least_16():
    assert parse_clip_size("640x360") == (640, 360)
    for text in ("641x360", "640x361", "14x16"):
        with pytest.raises(SizeError, match="even sides of at least 16"):
            parse_clip_size(text)
    with pytest.raises(SizeError, match="not WIDTHxHEIGHT"):
        parse_clip_size("640")


def test_the_argparse_type_refuses_a_bad_size(capsys):
    with pytest.raises(argparse.ArgumentTypeError, match="not WIDTHxHEIGHT"):
        size_argument("0x0")
    parser = argparse.ArgumentParser(prog="p")
    parser.add_argument("--size", type=size_argument)
    assert parser.parse_args(["--size", "8X6"]).size == (8, 6)
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--size", "big"])
    assert exited.value.code == 2 and "not WIDTHxHEIGHT" in capsys.readouterr().err
