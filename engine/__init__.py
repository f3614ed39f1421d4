"""Running models on frames: backends, padding, the restorer; sources, pipeline and sinks."""
