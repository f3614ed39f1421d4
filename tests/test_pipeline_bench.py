"""The pipeline benchmarks run end to end at a tiny size and report consistent numbers (their
speed is measured by `deblur bench --pipeline`, not asserted here)."""
from __future__ import annotations

from engine.measure.pipeline_bench import export_throughput, live_latency, memory_over_run
from engine.stages.restorer import Restorer


def test_pipeline_benchmarks_report_what_they_measured(weights_dir):
    restorer = Restorer("fast", "torch")
    throughput = export_throughput(restorer, 64, 48, frames=4, repeats=1)
    assert len(throughput["bare_fps_runs"]) == 2 and len(throughput["export_fps_runs"]) == 1
    assert throughput["ratio"] > 0 and throughput["export_cpu_ms_per_frame"] > 0
    memory = memory_over_run(restorer, 32, 32, frames=20, samples=4)
    assert [int(x.split(":")[0]) for x in memory["rss_mb"].split()] == [5, 10, 15, 20]
    assert memory["rss_end_mb"] > 0
    live = live_latency(restorer, 64, 48, rate=20, seconds=0.5)
    assert live["frames_out"] + live["dropped"] == live["frames_in"] == 10
    assert live["latency_p50_ms"] <= live["latency_p95_ms"]
    assert 0 <= live["added_p50_ms"] <= live["latency_p50_ms"]
