"""Measurements, never on the path of a frame: `deblur bench` (backends, the pipeline, the
temporal stage, tiling, memory of big pictures) and `deblur eval` (pairs, sharp-in, clips)."""
