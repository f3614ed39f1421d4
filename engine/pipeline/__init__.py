"""The running pipeline: frames from a source through the stages to a sink, in three threads
(threads.py), with the hand-offs between them (handoff.py) and the numbers it reports
(stats.py). The Frame it carries is engine.frames, shared by every room."""
from engine.pipeline.threads import Pipeline, Sink

__all__ = ["Pipeline", "Sink"]
