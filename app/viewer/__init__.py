"""The Qt viewer: blurred and restored frames side by side (or split-wiped), playback controls,
live model switching, export and recording. Decoding and inference run in the Player's threads;
the GUI thread only paints the newest frame."""
