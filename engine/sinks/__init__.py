"""Where restored frames go: the video encoder (with the source's sound copied), and the
before/after composer for comparison videos."""
