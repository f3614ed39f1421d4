"""What a person touches: the `deblur` command (and, later, the Qt viewer)."""
