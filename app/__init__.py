"""What a person touches: the `deblur` command (cli.py, one module per command in commands/)
and the Qt viewer (viewer/: the window, the player worker, pacing, recording, the export
dialog). It builds on engine/ and never runs a backend or torch itself."""
