"""Errors of the training side that the user can fix; each message is one line."""


class FetchError(Exception):
    """Training data missing or not downloadable: names the package and the fix."""


class TrainingError(Exception):
    """A run that cannot start as asked (an existing run, a bad option)."""
