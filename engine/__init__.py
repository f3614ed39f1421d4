"""Running models on frames. The rooms:

  sources/   where frames come from (file, camera, stream)      frames.py  the Frame they carry
  pipeline/  decode -> stages -> sink threads, hand-offs, stats
  stages/    what happens to a frame: restoration (restorer, tiling), temporal reference
  temporal/  the temporal reference algorithm (sharpness, alignment, fusion, window)
  backends/  torch, onnxruntime, tensorrt, with their option objects
  sinks/     where frames go (encoder, stream copy, before/after pictures)
  formats/   colour, HDR, bit depth as files hold them
  jobs/      a whole export, a folder of images, output checks      batch/  many files, Ray
  measure/   bench and eval, never on the path of a frame
"""
