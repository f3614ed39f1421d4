"""What a command runs end to end on top of the pipeline: a video export (its plan of what the
output keeps, its encoder), a folder of images, and the checks on outputs before anything is
written. Many files at once: engine.batch."""
