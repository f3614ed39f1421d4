"""Turning a model into a deployable artefact (ONNX graphs, TensorRT engines and their cache).
Sits between engine/ and models/ in the import order."""
