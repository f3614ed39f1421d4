"""`deblur export` on generated videos: frames, pts, sound and subtitles kept, colours tagged
and round-tripped, comparisons, codecs, temporary file and refusal to overwrite, bad inputs
ending in one line with exit code 2 and nothing left behind, cancellation."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from app.cli import main
from engine.sources.file import FileSource
from engine.stages.restore import PassThrough, RestoreStage
from engine.jobs.video_export import ExportSettings, export_video
from tests.videos import (PATCHES, frame_times, make_audio_only, make_corrupt, make_undecodable,
                          make_video, packets, patch_means, patches)

ROOT = Path(__file__).resolve().parent.parent


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".part" in p.name]


def stream_info(path: Path) -> dict:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        cc = video.codec_context
        return {"size": (cc.width, cc.height), "frames": sum(1 for _ in container.decode(video)),
                "matrix": cc.colorspace, "range": cc.color_range, "pix_fmt": cc.pix_fmt,
                "kinds": [s.type for s in container.streams]}


def test_export_keeps_frames_pts_sound_and_subtitles(tmp_path, weights_dir, capsys):
    source = make_video(tmp_path / "in.mkv", 10, audio=True, subtitles=True)
    out = tmp_path / "out.mkv"
    assert main(["export", str(source), "-o", str(out), "--backend", "torch"]) == 0
    assert frame_times(out) == pytest.approx(frame_times(source))
    assert stream_info(out)["kinds"] == ["video", "audio", "subtitle"]
    for kind in ("audio", "subtitle"):
        copied, original = packets(out, kind), packets(source, kind)
        assert [p for p, _ in copied] == [p for p, _ in original]         # byte for byte
        assert [t for _, t in copied] == pytest.approx([t for _, t in original], abs=1e-3)
    assert "10 frames" in capsys.readouterr().err
    assert leftovers(tmp_path) == []


def test_variable_frame_rate_stays_variable(tmp_path, weights_dir):
    stamps = [0, 1, 2, 5, 6, 12, 13, 14, 30]
    source = make_video(tmp_path / "vfr.mp4", pts=stamps)
    out = tmp_path / "out.mp4"
    assert main(["export", str(source), "-o", str(out)]) == 0
    assert frame_times(out) == pytest.approx([s / 25 for s in stamps], abs=1e-3)


def subtitle_lines(path: Path) -> tuple[str, list[tuple[str, float]]]:
    """The subtitle codec and each cue's words with its start time in seconds, decoded."""
    with av.open(str(path)) as container:
        stream = container.streams.subtitles[0]
        return stream.codec_context.name, [
            (cue.dialogue.decode(), round(float(packet.pts * packet.time_base), 3))
            for packet in container.demux(stream) if packet.pts is not None
            for cue in packet.decode()]


def test_mp4_output_copies_aac_and_converts_text_subtitles(tmp_path, weights_dir, capsys):
    source = make_video(tmp_path / "in.mkv", 9, audio=True, subtitles=True)   # SubRip
    out = tmp_path / "out.mp4"
    assert main(["export", str(source), "-o", str(out)]) == 0
    assert stream_info(out)["kinds"] == ["video", "audio", "subtitle"]
    assert [p for p, _ in packets(out, "audio")] == [p for p, _ in packets(source, "audio")]
    assert "subtitle stream #2 (" in capsys.readouterr().err
    codec, lines = subtitle_lines(out)
    expected = [("line 0", 0.0), ("line 4", 0.16), ("line 8", 0.32)]
    assert codec == "mov_text" and lines == expected
    # And back: Matroska cannot hold mov_text, so the MP4's cues become SubRip again.
    back = tmp_path / "back.mkv"
    assert main(["export", str(out), "-o", str(back)]) == 0
    assert "converted to subrip" in capsys.readouterr().err
    codec, lines = subtitle_lines(back)
    # Matroska shifts every stream alike so that the AAC priming samples start at 0: the cues
    # keep their place against the pictures.
    shift = frame_times(back)[0]
    assert codec in ("subrip", "srt")
    assert [(words, round(t - shift, 3)) for words, t in lines] == expected


def test_webm_output_gets_vp9_opus_and_webvtt_without_being_told(tmp_path, weights_dir,
                                                                 capsys):
    source = make_video(tmp_path / "in.mkv", 9, audio=True, subtitles=True)
    out = tmp_path / "out.webm"
    assert main(["export", str(source), "-o", str(out)]) == 0
    with av.open(str(out)) as container:
        codecs = [(s.type, s.codec_context.name) for s in container.streams]
    assert codecs == [("video", "vp9"), ("audio", "opus"), ("subtitle", "webvtt")]
    assert stream_info(out)["frames"] == 9
    assert subtitle_lines(out)[1] == [("line 0", 0.0), ("line 4", 0.16), ("line 8", 0.32)]
    assert "re-encoded to opus" in capsys.readouterr().err


def test_audio_the_container_cannot_hold_is_reencoded_and_said(tmp_path, weights_dir, capsys):
    source = make_video(tmp_path / "in.mkv", 8, audio="flac")
    out = tmp_path / "out.m4v"                    # iPod MP4: H.264 and AAC, no FLAC
    assert main(["export", str(source), "-o", str(out)]) == 0
    assert "flac; re-encoded to aac" in capsys.readouterr().err
    with av.open(str(out)) as container:
        sound = container.streams.audio[0]
        assert sound.codec_context.name == "aac"
        seconds = sum(f.samples for f in container.decode(sound)) / sound.rate
    assert seconds == pytest.approx(8 / 25, abs=0.05)


def test_mpeg_ts_output_is_allowed_though_it_lists_no_codecs(tmp_path, weights_dir):
    source = make_video(tmp_path / "in.mkv", 5, audio=True)
    out = tmp_path / "out.ts"
    assert main(["export", str(source), "-o", str(out)]) == 0
    assert stream_info(out)["frames"] == 5 and stream_info(out)["kinds"] == ["video", "audio"]


def test_colours_round_trip_bt709_in_bt709_out(tmp_path):
    source_path = make_video(tmp_path / "in.mp4", 4, matrix="itu709",
                             content=lambda i: patches(), options={"qp": "0"})
    out = tmp_path / "out.mp4"
    source = FileSource(source_path)
    export_video(source, out, RestoreStage(PassThrough("input")), ExportSettings(crf=0))   # pixels unchanged
    source.close()
    info = stream_info(out)
    assert (info["matrix"], info["range"]) == (1, 1)       # tagged BT.709, limited range
    decoded = next(iter(FileSource(out))).rgb
    assert np.abs(patch_means(decoded) - PATCHES).max() <= 4


def test_odd_sizes_keep_their_size(tmp_path, weights_dir, capsys):
    source = make_video(tmp_path / "odd.mkv", 4, 63, 47, codec="ffv1", pix_fmt="yuv444p")
    out = tmp_path / "odd.mp4"
    assert main(["export", str(source), "-o", str(out)]) == 0
    info = stream_info(out)
    assert info["size"] == (63, 47) and info["frames"] == 4 and info["pix_fmt"] == "yuv444p"
    assert "yuv444p" in capsys.readouterr().err


@pytest.mark.parametrize("mode, width", [("side-by-side", 128), ("split", 64)])
def test_comparison_videos(tmp_path, weights_dir, mode, width):
    source = make_video(tmp_path / "in.mp4", 3)
    out = tmp_path / f"{mode}.mp4"
    assert main(["export", str(source), "-o", str(out), "--compare", mode]) == 0
    assert stream_info(out)["size"] == (width, 48)
    if mode == "side-by-side":   # the left half is the input itself
        left = next(iter(FileSource(out))).rgb[:, :64]
        original = next(iter(FileSource(source))).rgb
        assert peak_signal_noise_ratio(original, left) > 30


@pytest.mark.parametrize("codec, suffix, extra", [("ffv1", ".mkv", []), ("prores_ks", ".mov", []),
                                                  ("libx265", ".mp4", ["--preset", "veryfast"])])
def test_other_codecs(tmp_path, weights_dir, codec, suffix, extra):
    source = make_video(tmp_path / "in.mp4", 3)
    out = tmp_path / f"out{suffix}"
    assert main(["export", str(source), "-o", str(out), "--codec", codec, *extra]) == 0
    assert stream_info(out)["frames"] == 3


def test_reference_reports_psnr_of_input_and_output(tmp_path, weights_dir, capsys):
    sharp = make_video(tmp_path / "sharp.mkv", 4, codec="ffv1")
    noisy = make_video(tmp_path / "noisy.mkv", 4, codec="ffv1", content=lambda i: np.clip(
        next(iter(FileSource(sharp).frames(i))).rgb.astype(int) + 6, 0, 255).astype(np.uint8))
    out = tmp_path / "out.mp4"
    assert main(["export", str(noisy), "-o", str(out), "--reference", str(sharp)]) == 0
    capsys_out = capsys.readouterr().out
    line = next(x for x in capsys_out.splitlines() if "PSNR against" in x)
    expected = np.mean([peak_signal_noise_ratio(a.rgb, b.rgb, data_range=255)
                        for a, b in zip(FileSource(sharp), FileSource(noisy))])
    assert f"input {expected:.2f} dB" in line and "over 4 frames" in line
    assert "gain by input PSNR: >=32 dB " in capsys_out and "(4)" in capsys_out
    # and the file as x264 wrote it, read back and scored the same way
    written = next(x for x in capsys_out.splitlines() if x.startswith("the file as written"))
    decoded = np.mean([peak_signal_noise_ratio(a.rgb, b.rgb, data_range=255)
                       for a, b in zip(FileSource(sharp), FileSource(out))])
    assert "(libx264)" in written and f"restored {decoded:.2f} dB" in written


def test_refuses_to_overwrite_without_y(tmp_path, weights_dir, capsys):
    source = make_video(tmp_path / "in.mp4", 3)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    assert main(["export", str(source), "-o", str(out)]) == 2
    assert "pass -y" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert main(["export", str(source), "-o", str(out), "-y"]) == 0
    assert stream_info(out)["frames"] == 3 and leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "text", "audio-only",
                                  "unsupported codec", "unknown container", "codec unavailable",
                                  "crf without meaning", "preset without meaning",
                                  "input as output"])
def test_bad_requests_end_in_one_line_and_leave_nothing(tmp_path, weights_dir, capsys, kind):
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = make_video(inputs / "good.mp4", 2)
    path, extra, out = {
        "missing": (inputs / "none.mp4", [], None),
        "directory": (inputs, [], None),
        "empty": (inputs / "empty.mp4", [], None),
        "text": (inputs / "notes.mp4", [], None),
        "audio-only": (make_audio_only(inputs / "sound.m4a"), [], None),
        "unsupported codec": (make_undecodable(inputs / "avs3.mkv"), [], None),
        "unknown container": (good, [], tmp_path / "out.xyz"),
        "codec unavailable": (good, ["--codec", "h264_nvenc"], None),
        "crf without meaning": (good, ["--codec", "ffv1", "--crf", "10"], None),
        "preset without meaning": (good, ["--codec", "ffv1", "--preset", "fast"], None),
        "input as output": (good, ["-y"], good),
    }[kind]
    if kind == "empty":
        path.write_bytes(b"")
    if kind == "text":
        path.write_text("not a video\n")
    out = out or tmp_path / "out.mp4"
    if kind == "codec unavailable" and "h264_nvenc" in _encoders():
        pytest.skip("this machine has NVENC")
    before = {p: p.stat().st_mtime_ns for p in (*tmp_path.iterdir(), *inputs.iterdir())}
    assert main(["export", str(path), "-o", str(out), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("deblur: ")
    after = {p: p.stat().st_mtime_ns for p in (*tmp_path.iterdir(), *inputs.iterdir())}
    assert after == before        # no output, no temporary file, the input untouched


def _encoders() -> list[str]:
    from engine.sinks.video_writer import available_codecs
    return available_codecs()


def test_corrupt_mid_stream_is_counted_and_the_export_finishes(tmp_path, weights_dir, capsys):
    bad = make_corrupt(tmp_path, 30)
    out = tmp_path / "out.mp4"
    assert main(["export", str(bad), "-o", str(out)]) == 0
    summary = capsys.readouterr().err
    corrupt = int(summary.split(" corrupt")[0].rsplit(" ", 1)[1])
    frames = int(summary.split(" frames in ")[0].rsplit("\n", 1)[-1].split()[-1])
    assert corrupt > 0 and stream_info(out)["frames"] == frames >= 15


def test_truncated_file_exports_what_it_holds(tmp_path, weights_dir):
    source = make_video(tmp_path / "whole.mkv", 30, audio=True)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size * 6 // 10])
    out = tmp_path / "out.mkv"
    assert main(["export", str(cut), "-o", str(out)]) == 0
    assert 10 <= stream_info(out)["frames"] < 30


def test_cancelling_removes_the_partial_output(tmp_path, weights_dir):
    source_path = make_video(tmp_path / "in.mp4", 40)
    out = tmp_path / "out.mp4"
    source = FileSource(source_path)

    def interrupt(stats):
        if stats.frames_out == 5:
            assert leftovers(tmp_path)          # the temporary file exists while writing
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        export_video(source, out, RestoreStage(PassThrough("input")), ExportSettings(),
                     on_output=interrupt)
    assert not out.exists() and leftovers(tmp_path) == []


def test_ctrl_c_on_the_command_exits_130_and_leaves_nothing(tmp_path, weights_dir):
    source = make_video(tmp_path / "in.mp4", 2000, content=lambda i: patches())
    out = tmp_path / "out.mp4"
    env = {**os.environ, "DEBLUR_WEIGHTS_DIR": str(weights_dir)}
    # A suite started as a background job (`make test &`) runs with SIGINT ignored, and an
    # ignored signal is inherited: the child gets the default back, as a terminal gives it.
    child = subprocess.Popen([sys.executable, "-m", "app.cli", "export", str(source), "-o",
                              str(out)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while not leftovers(tmp_path) and child.poll() is None:
        time.sleep(0.05)                          # wait until it is writing
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert err.strip().splitlines()[-1] == "deblur: interrupted"
    assert not out.exists() and leftovers(tmp_path) == []
