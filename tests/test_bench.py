"""`deblur bench`: both paths measured in the same run, the ratio is theirs, bad sizes refused."""
from __future__ import annotations

import json

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
