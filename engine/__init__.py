"""Running models on frames: backends, the restorer; sources, pipeline and sinks."""
