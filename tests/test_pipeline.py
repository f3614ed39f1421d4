"""The pipeline's hand-offs and threads: file mode keeps every frame in order (batched or not),
live mode keeps the newest and counts every drop, errors and stops reach the caller."""
from __future__ import annotations

import threading
import time
from fractions import Fraction

import numpy as np
import pytest

from engine.errors import SourceLost
from engine.frames import Frame
from engine.pipeline.handoff import END, Handoff
from engine.pipeline import Pipeline
from engine.sources import Source
from engine.stages.restore import RestoreStage


class ListSource(Source):
    """Frames from memory; `live` ones arrive every `interval` seconds like a camera."""
    time_base, rate, name = Fraction(1, 25), Fraction(25), "list"

    def __init__(self, count, live=False, interval=0.0, lost_after=None, shapes=None):
        self.count, self.live, self.interval, self.lost_after = count, live, interval, lost_after
        self.shapes = shapes or [(8, 8)]

    def __iter__(self):
        for i in range(self.count):
            if self.lost_after is not None and i == self.lost_after:
                raise SourceLost("list: gone")
            time.sleep(self.interval)
            h, w = self.shapes[i * len(self.shapes) // self.count]
            yield Frame(np.full((h, w, 3), i % 256, np.uint8), i, self.time_base, i,
                        time.monotonic())

class Batches:
    """A restorer that runs `process` on each batch of pixels (a test double of the model)."""
    description = "test process"

    def __init__(self, process):
        self.restore_batch = process


def stage(process=lambda b: b):
    return RestoreStage(Batches(process))


def run(source, process=lambda b: b, sink_delay=0.0, **kwargs):
    seen = []

    def sink(frame):
        time.sleep(sink_delay)
        seen.append((frame.index, int(frame.restored[0, 0, 0])))

    stats = Pipeline(source, stage(process), sink, **kwargs).run()
    return seen, stats


@pytest.mark.parametrize("batch_size", [1, 3])
def test_file_mode_keeps_every_frame_in_order(batch_size):
    batches = []

    def process(batch):
        batches.append(len(batch))
        time.sleep(0.002)
        return batch
    # Two sizes: a batch never mixes them.
    seen, stats = run(ListSource(20, shapes=[(8, 8), (6, 10)]), process, batch_size=batch_size,
                      queue_size=2)
    assert seen == [(i, i) for i in range(20)]
    assert stats.frames_in == stats.frames_out == stats.inferred == 20
    assert stats.dropped == 0 and max(batches) == batch_size
    assert sum(batches) == 20 and (batch_size == 1 or len(batches) <= 8)


def test_live_mode_keeps_the_newest_and_counts_every_drop():
    def slow(batch):
        time.sleep(0.03)
        return batch
    seen, stats = run(ListSource(60, live=True, interval=0.003), slow)
    assert stats.dropped > 0
    assert stats.frames_out + stats.dropped == stats.frames_in == 60
    indices = [i for i, _ in seen]
    assert indices == sorted(indices) and indices[-1] == 59   # the newest always gets through
    assert stats.latency_ms(50) <= stats.latency_ms(95)
    # What the pipeline adds is the latency less each frame's own 30 ms inference call.
    assert stats.latency_ms(50) - stats.overhead_ms(50) >= 29


def test_a_lost_live_source_ends_the_run_and_keeps_what_was_done():
    seen, stats = run(ListSource(30, live=True, lost_after=10))
    assert stats.ended_early == "list: gone" and len(seen) == stats.frames_out >= 1


def test_an_error_in_the_inference_thread_reaches_the_caller():
    def failing(batch):
        if batch[0, 0, 0, 0] == 5:
            raise ValueError("backend broke")
        return batch
    before = threading.active_count()
    with pytest.raises(ValueError, match="backend broke"):
        run(ListSource(50), failing, queue_size=1)
    assert threading.active_count() == before   # decode and inference threads have ended


def test_an_error_in_the_sink_stops_the_threads():
    before = threading.active_count()

    def sink(frame):
        if frame.index == 3:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        Pipeline(ListSource(1000), stage(), sink, queue_size=1).run()
    assert threading.active_count() == before


def test_stop_ends_early_and_drains_what_is_in_flight():
    pipeline = None
    seen = []

    def sink(frame):
        seen.append(frame.index)
        if frame.index == 4:
            pipeline.stop()
    pipeline = Pipeline(ListSource(1000, interval=0.001), stage(), sink, queue_size=2)
    stats = pipeline.run()
    assert seen == list(range(len(seen))) and 5 <= len(seen) < 1000
    assert stats.frames_out == stats.frames_in and not stats.cancelled


def test_cancel_from_the_sink_drops_what_is_in_flight_and_returns():
    pipeline = None
    seen = []
    before = threading.active_count()

    def sink(frame):
        seen.append(frame.index)
        if frame.index == 4:
            pipeline.cancel()   # what a seek does: a call, not an exception
    pipeline = Pipeline(ListSource(1000), stage(), sink, queue_size=2)
    stats = pipeline.run()
    assert seen == [0, 1, 2, 3, 4] and stats.cancelled and stats.frames_out == 4
    assert threading.active_count() == before


class Window:
    """A stage that holds `size` frames and gives each back once `size` later ones arrived,
    noting on it the indices it saw around it (what a temporal stage would take detail from)."""

    def __init__(self, size):
        self.size, self.held = size, []

    def push(self, frames):
        self.held += frames
        out, self.held = self.held[:-self.size], self.held[-self.size:]
        return [self._note(f) for f in out]

    def flush(self):
        out, self.held = self.held, []
        return [self._note(f) for f in out]

    def _note(self, frame):
        frame.notes["window"] = [f.index for f in self.held]
        return frame


@pytest.mark.parametrize("batch_size", [1, 3])
def test_a_windowed_stage_gives_frames_later_and_all_of_them_in_order(batch_size):
    seen = []
    window = Window(3)
    stats = Pipeline(ListSource(10), [stage(lambda b: b + 1), window],
                     lambda f: seen.append((f.index, int(f.restored[0, 0, 0]), f.notes["window"],
                                            f.made_by)),
                     batch_size=batch_size).run()
    assert [s[0] for s in seen] == list(range(10)) and stats.frames_out == 10
    assert all(value == index + 1 for index, value, _, _ in seen)   # restored before the window
    # It held each frame until frames after it had arrived (the last ones: until the end).
    assert all(later and min(later) > index for index, _, later, _ in seen[:-3])
    assert seen[-1][2] == []
    assert {made_by for *_, made_by in seen} == {"test process"}


def test_duration_bounds_a_live_run():
    seen, stats = run(ListSource(1000, live=True, interval=0.002), duration=0.1)
    assert 0 < stats.frames_in < 1000


def test_latest_only_slot_replaces_and_counts():
    slot = Handoff(8, latest_only=True)
    for i in range(5):
        slot.put(i)
    slot.close()
    assert slot.get() == 4 and slot.get() is END and slot.dropped == 4


def test_bounded_queue_makes_the_producer_wait():
    queue = Handoff(2)
    queue.put(0)
    queue.put(1)
    producer = threading.Thread(target=queue.put, args=(2,))
    producer.start()
    producer.join(0.2)
    assert producer.is_alive()          # waiting for room, not dropping
    assert queue.get() == 0
    producer.join()
    queue.close()
    assert [queue.get(), queue.get(), queue.get()] == [1, 2, END] and queue.dropped == 0
