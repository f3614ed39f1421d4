"""Errors of the training side that the user can fix; each message is one line."""
from common.errors import UserError


class FetchError(UserError):
    """Training data missing or not downloadable: names the package and the fix."""


class TrainingError(UserError):
    """A run that cannot start as asked (an existing run, a bad option)."""
