"""`deblur export DIR|GLOB|FILES... -o OUTDIR` on this machine: videos found by content, the
input tree mirrored, a failing file named and the job going on (exit 1), resume skipping what
is done, bad arguments refused in one line (exit 2) with nothing written, and a run really
killed mid-file (SIGKILL of the CLI) resumed to the end by the same command."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import main
from tests.batch_clips import make_clips, make_tree, outputs, part_files
from tests.videos import make_video

ROOT = Path(__file__).resolve().parent.parent
TORCH = ["--backend", "torch"]


def test_folder_batch_mirrors_the_tree_names_the_failure_and_resumes(tmp_path, weights_dir,
                                                                    capsys):
    expected = make_tree(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["export", str(tmp_path / "in"), "-o", str(out), *TORCH]) == 1
    captured = capsys.readouterr()
    assert outputs(out) == expected          # every frame, names mirrored, nothing else
    assert part_files(out) == []
    failures = [line for line in captured.err.splitlines() if "bad.mp4" in line]
    assert len(failures) == 1 and "failed" in failures[0]
    assert "2 other files skipped" in captured.err
    table = captured.out.splitlines()
    assert table[0].split() == ["file", "frames", "time", "s", "fps", "result"]
    rows = {line.split()[0]: line for line in table[2:-1]}
    assert set(rows) == {"a.mp4", "sub/b.mkv", "sub/deeper/c", "bad.mp4"}
    assert rows["a.mp4"].split()[1] == "12" and rows["a.mp4"].endswith("done")
    assert "failed: " in rows["bad.mp4"]
    assert "3 done, 0 already done, 1 failed; 2 other files skipped" in table[-1]

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(["export", str(tmp_path / "in"), "-o", str(out), *TORCH]) == 1
    assert "0 done, 3 already done, 1 failed" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


def test_globs_and_files_all_good_exit_0(tmp_path, weights_dir, capsys):
    make_tree(tmp_path / "in")
    out = tmp_path / "out"
    pattern = str(tmp_path / "in" / "**" / "*.mkv")   # quoted: the tool expands it
    assert main(["export", pattern, str(tmp_path / "in" / "a.mp4"), "-o", str(out),
                 *TORCH]) == 0
    assert outputs(out) == {"sub/b.mkv": 8, "a.mp4": 12}   # glob from its root, file by name
    capsys.readouterr()
    single = tmp_path / "one"
    single.mkdir()
    assert main(["export", str(tmp_path / "in" / "a.mp4"), "-o", str(single), *TORCH]) == 0
    assert outputs(single) == {"a.mp4": 12}                 # -o to a folder: a batch of one


@pytest.mark.parametrize("case", ["missing", "no-videos", "output-is-file", "collision",
                                  "reference", "into-the-input"])
def test_bad_arguments_end_in_one_line_and_exit_2(tmp_path, capsys, case):
    clips = tmp_path / "in"
    make_clips(clips, 2, 3)
    out = tmp_path / "out"
    args = {"missing": [str(clips), str(tmp_path / "nope.mp4"), "-o", str(out)],
            "no-videos": [str(tmp_path / "empty"), "-o", str(out)],
            "output-is-file": [str(clips), "-o", str(clips / "clip0.mp4")],
            "collision": [str(clips), str(tmp_path / "clip0"), "-o", str(out)],
            "reference": [str(clips), "-o", str(out), "--reference", str(clips / "clip0.mp4")],
            "into-the-input": [str(clips), str(tmp_path / "in" / "clip1.mp4"), "-o",
                               str(clips)]}[case]
    if case == "no-videos":
        (tmp_path / "empty").mkdir()
        (tmp_path / "empty" / "readme.txt").write_text("x")
    if case == "collision":
        (tmp_path / "clip0").write_bytes((clips / "clip0.mp4").read_bytes())
    before = sorted(tmp_path.rglob("*"))
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("deblur: "), err
    assert sorted(tmp_path.rglob("*")) == before   # nothing written, no folder made


def test_a_killed_batch_resumes_where_it_stopped(tmp_path, weights_dir):
    """SIGKILL the CLI once the first file is done (the second half written), then the same
    command: the first is skipped, the killed file's part file swept, the rest done; and a
    local run never imports ray."""
    names = make_clips(tmp_path / "in", 3, 40)
    out = tmp_path / "out"
    command = ["export", str(tmp_path / "in"), "-o", str(out), *TORCH]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "-m", "app.cli", *command], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / names[0]).exists():
        assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = [n for n in names if (out / n).exists()]
    assert names[0] in done_before and len(done_before) < 3

    script = ("import sys; from app.cli import main; code = main(sys.argv[1:]); "
              "print('ray imported' if 'ray' in sys.modules else 'no ray'); sys.exit(code)")
    again = subprocess.run([sys.executable, "-c", script, *command], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{len(done_before)} already done" in again.stdout
    assert again.stdout.strip().endswith("no ray")
    assert outputs(out) == {n: 40 for n in names}
    assert part_files(out) == []


def test_a_file_failing_mid_run_is_named_and_the_job_goes_on(tmp_path, weights_dir, capsys):
    clips = tmp_path / "in"
    make_clips(clips, 2, 4)
    make_video(clips / "zzz-undecodable.mkv", 4, codec="ffv1")
    data = bytearray((clips / "zzz-undecodable.mkv").read_bytes())
    data[len(data) // 4:] = bytes(len(data) - len(data) // 4)   # header kept, frames zeroed
    (clips / "zzz-undecodable.mkv").write_bytes(bytes(data))
    out = tmp_path / "out"
    code = main(["export", str(clips), "-o", str(out), *TORCH])
    captured = capsys.readouterr()
    assert code == 1
    assert outputs(out) == {"clip0.mp4": 4, "clip1.mp4": 4}
    assert part_files(out) == []
    assert [line for line in captured.err.splitlines()
            if "zzz-undecodable.mkv" in line and "failed" in line]
