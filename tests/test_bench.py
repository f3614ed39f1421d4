"""`deblur bench`: both paths measured in the same run, the ratio is theirs, bad sizes refused;
its other measurements (--pipeline, --tiling-check, --train-step) run through the command and
refuse bad options in one line."""
from __future__ import annotations

import json

import cv2
import numpy as np

import pytest

from app.cli import main


def test_bench_measures_candidate_and_reference(weights_dir, capsys):
    assert main(["bench", "--backend", "torch", "--size", "96x64", "--frames", "4",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    candidate, reference = result["candidate"], result["reference"]
    assert candidate["path"].startswith("deblurganv2-mobilenet-dsc on torch")
    assert reference["path"].startswith("reference")
    for r in (candidate, reference):
        assert 0 < r["latency_ms_median"] <= r["latency_ms_p95"]
        assert r["fps"] > 0 and r["peak_memory_mb"] > 0
    assert result["throughput_ratio"] == pytest.approx(candidate["fps"] / reference["fps"])
    assert "cores" in result["machine"]


@pytest.mark.parametrize("size", ["720p", "0x10", "12x"])
def test_bench_refuses_a_bad_size(size, capsys):
    assert main(["bench", "--size", size]) == 2
    assert "--size" in capsys.readouterr().err


def test_bench_pipeline_reports_the_export_throughput(weights_dir, capsys):
    assert main(["bench", "--pipeline", "--only", "throughput", "--backend", "torch",
                 "--size", "64x48", "--frames", "4", "--repeats", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"machine", "path", "throughput"}
    assert report["throughput"]["size"] == "64x48" and report["throughput"]["ratio"] > 0


def test_bench_tiling_check_compares_each_tiling_with_the_whole_frame(weights_dir, capsys):
    assert main(["bench", "--tiling-check", "64:16", "96:32", "--backend", "torch",
                 "--size", "160x96"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["tile"], r["overlap"]) for r in rows] == [(64, 16), (96, 32)]
    assert all(r["size"] == "160x96" and 0 <= r["mean"] <= r["max"] <= 255 for r in rows)


def test_bench_train_step_measures_every_arithmetic(capsys):
    from models.training.step_bench import VARIANTS
    assert main(["bench", "--train-step", "--model", "fast", "--steps", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["device"] == "cpu"
    assert [r["arithmetic"] for r in report["rows"]] == [v[0] for v in VARIANTS]
    assert report["rows"][0]["speed_vs_reference"] == 1.0
    assert all(r["s_per_step"] > 0 for r in report["rows"])


@pytest.mark.parametrize("options, named", [
    (["--pipeline", "--memory-size", "64x0"], "--memory-size"),
    (["--pipeline", "--repeats", "0"], "--repeats"),
    (["--tiling-check", "64"], "--tiling-check"),
    (["--tiling-check", "64:64"], "--tiling-check"),
    (["--tiling-check", "64:16", "--tile", "64"], "TILE:OVERLAP"),
    (["--train-step", "--bank", "-1"], "--bank"),
    (["--train-step", "--pipeline"], "separate measurements"),
    (["--image-size", "64x64", "--tiling-check"], "separate measurements"),
])
def test_bench_modes_refuse_bad_options_in_one_line(options, named, capsys):
    assert main(["bench", *options]) == 2
    err = capsys.readouterr().err
    assert named in err and err.startswith("deblur: ") and err.count("\n") == 1


def test_bench_temporal_at_a_size_runs_on_the_sample_resized(tmp_path):
    """`bench --temporal --size WxH` times the stage and the exports on the bundled clip's
    own frames at that size (its first --frames), not on anything else."""
    from engine.measure.bench import SAMPLE_CLIP
    from engine.measure.temporal_bench import sized_sample
    from engine.sources.file import read_all
    clip = read_all(sized_sample(tmp_path / "s.mp4", 320, 192, 12))
    first = read_all(SAMPLE_CLIP)[:12]
    assert len(clip) == 12 and clip[0].rgb.shape == (192, 320, 3)
    # frame for frame the sample's content: each is nearest its own original frame
    small = [f.rgb[::2, ::2].astype(float) for f in clip]
    for k in (0, 5, 11):
        original = cv2.resize(first[k].rgb, (160, 96), interpolation=cv2.INTER_AREA)
        errors = [np.mean((s - original) ** 2) for s in small]
        assert int(np.argmin(errors)) == k
