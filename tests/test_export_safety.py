"""`deblur export` never loses a user's work: no input is ever the output, an output it cannot
write is refused before the model loads, OS errors and signals end in one line with nothing
half-written left behind."""
from __future__ import annotations

import os
import signal
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


def start_export(source: Path, out: Path, weights_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "DEBLUR_WEIGHTS_DIR": str(weights_dir)}
    child = subprocess.Popen([sys.executable, "-m", "app.cli", "export", str(source), "-o",
                              str(out)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    while not [n for n in leftovers(out.parent) if f".deblur-{child.pid}-" in n]:
        assert child.poll() is None, child.communicate()[1]
        time.sleep(0.05)                          # until it is writing
    return child


def test_sigterm_ends_like_ctrl_c_with_143_and_leaves_nothing(tmp_path, weights_dir):
    source = make_video(tmp_path / "in.mp4", 2000, content=lambda i: patches())
    out = tmp_path / "out.mp4"
    child = start_export(source, out, weights_dir)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 143, err
    assert err.strip().splitlines()[-1] == ("deblur: terminated (SIGTERM); nothing "
                                            "half-written was kept")
    assert not out.exists() and leftovers(tmp_path) == []


def test_the_next_run_removes_what_a_sigkill_left_but_not_what_a_live_export_writes(
        tmp_path, weights_dir, capsys):
    source = make_video(tmp_path / "in.mp4", 2000, content=lambda i: patches())
    killed = start_export(source, tmp_path / "a.mp4", weights_dir)
    killed.kill()
    killed.communicate(timeout=60)
    stale = leftovers(tmp_path)
    assert len(stale) == 1 and stale[0].startswith(f".a.mp4.deblur-{killed.pid}-")
    live = start_export(source, tmp_path / "b.mp4", weights_dir)   # the next run
    try:
        writing = leftovers(tmp_path)
        assert len(writing) == 1 and writing[0].startswith(f".b.mp4.deblur-{live.pid}-")
        small = make_video(tmp_path / "small.mp4", 3)   # and one beside it while it writes
        assert main(["export", str(small), "-o", str(tmp_path / "c.mp4")]) == 0
        assert "removed" not in capsys.readouterr().err and leftovers(tmp_path) == writing
    finally:
        live.send_signal(signal.SIGTERM)
        _, err = live.communicate(timeout=60)
    assert f"deblur: removed 1 temporary file(s) that a killed run left in {tmp_path}: " \
           f"{stale[0]}\n" in err
    assert live.returncode == 143 and leftovers(tmp_path) == []


def test_pcm_audio_for_an_mp4_is_reencoded_to_aac_said_before_the_first_frame(
        tmp_path, weights_dir, capsys):
    """MP4's codec table lists PCM, but the muxer refuses it when closing: the trial write
    finds that out before the model loads, and the sound is re-encoded instead."""
    import av
    source = make_video(tmp_path / "in.mkv", 10, audio="pcm_s16le")
    out = tmp_path / "out.mp4"
    assert main(["export", str(source), "-o", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    note = "deblur: audio stream #1 (pcm_s16le): a .mp4 file cannot hold pcm_s16le; " \
           "re-encoded to aac"
    assert err.count(note) == 1
    assert err.index(note) < next(i for i, line in enumerate(err) if "backend auto" in line)
    with av.open(str(out)) as container, av.open(str(source)) as original:
        sound = container.streams.audio[0]
        assert sound.codec_context.name == "aac"
        seconds = sum(f.samples for f in container.decode(sound)) / sound.rate
        expected = sum(f.samples for f in original.decode(audio=0)) / 48000
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 10
    assert seconds == pytest.approx(expected, abs=0.03)
    assert leftovers(tmp_path) == []
