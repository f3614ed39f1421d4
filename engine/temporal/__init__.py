"""Temporal reference stage: restore a blurred frame from the sharper frames around it
(sharpness per frame, DIS alignment with consistency tests, low/high band fusion)."""
from engine.temporal.align import Aligner, Alignment
from engine.temporal.fusion import FusionParams, FusionStats, fuse
from engine.temporal.sharpness import FrameInfo, scene_cut, sharpness
from engine.temporal.window import TemporalFuser, TemporalResult

__all__ = ["Aligner", "Alignment", "FusionParams", "FusionStats", "fuse", "FrameInfo",
           "scene_cut", "sharpness", "TemporalFuser", "TemporalResult"]
