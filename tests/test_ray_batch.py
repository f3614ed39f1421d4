"""`deblur export DIR -o OUTDIR --ray auto` on a real local Ray cluster (2 CPUs) started by the
test: 3 files, the worker writing one of them SIGKILLed mid-file (the test hook in
engine.batch.job), the file completed on a retry in another worker, nothing half-written
left, and the outputs the same pixels as a local run. Also: the lock pins the cluster extra."""
from __future__ import annotations

import signal

from importlib import metadata

import numpy as np
import pytest
from packaging.utils import canonicalize_name

from app.cli import main
from engine.batch.job import KILL_HOOK
from tests.batch_clips import decoded, make_clips, outputs, part_files
from tests.test_lock import _pins

ray = pytest.importorskip("ray")


@pytest.fixture
def cluster(weights_dir, tmp_path, monkeypatch):
    """A 2-CPU Ray instance whose workers inherit this environment (the test weights, the
    test cache and the kill hook: clip0.mp4's first attempt dies after 5 frames)."""
    marker = tmp_path / "killed-once"
    monkeypatch.setenv(KILL_HOOK, f"clip0.mp4:5:{marker}")
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield marker
    ray.shutdown()
    for sig, handler in handlers.items():   # Ray's SIGTERM handler must not outlive it
        signal.signal(sig, handler)


def test_a_worker_killed_mid_file_is_retried_and_outputs_match_local(tmp_path, cluster,
                                                                     monkeypatch, capsys):
    names = make_clips(tmp_path / "in", 3, 24)
    command = ["export", str(tmp_path / "in"), "--backend", "torch"]
    assert main([*command, "-o", str(tmp_path / "ray"), "--ray", "auto"]) == 0
    captured = capsys.readouterr()
    assert cluster.exists()                                   # the hook did kill a worker
    retried = [line for line in captured.err.splitlines() if line.startswith("[")
               and "clip0.mp4" in line]
    assert len(retried) == 1 and "on attempt 2" in retried[0], captured.err
    assert "3 done, 0 already done, 0 failed" in captured.out
    assert outputs(tmp_path / "ray") == {n: 24 for n in names}
    assert part_files(tmp_path / "ray") == []                  # the lost attempt's is swept

    monkeypatch.delenv(KILL_HOOK)
    assert main([*command, "-o", str(tmp_path / "local")]) == 0
    for name in names:
        for a, b in zip(decoded(tmp_path / "ray" / name), decoded(tmp_path / "local" / name),
                        strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_lock_pins_ray_and_everything_it_needs():
    pins = _pins()
    cluster = {canonicalize_name(r.split(";")[0].split(">")[0].split("<")[0].split("=")[0])
               for r in metadata.requires("deblur") or [] if 'extra == "cluster"' in r}
    assert cluster == {"ray"}
    needed = {canonicalize_name(r.split(";")[0].split("[")[0].split(">")[0].split("<")[0]
                                .split("=")[0].split("!")[0].strip())
              for r in metadata.requires("ray") or [] if "extra ==" not in r}
    assert (needed | cluster) <= set(pins), (needed | cluster) - set(pins)
