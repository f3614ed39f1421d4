"""Errors of the engine that the user can fix (bad input files, unavailable backends)."""
from common.errors import UserError


class InputError(UserError):
    """A file or source that cannot be used; the message is one line naming it."""


class BackendUnavailable(UserError):
    """A backend that this machine cannot run; the message says what to install or use."""


class SourceLost(InputError):
    """A live source that delivered frames and then stopped (camera unplugged, stream gone for
    good). The pipeline ends as if the source had ended, and reports this message."""


class OutputError(Exception):
    """Writing the output failed during the run (disk full, file system gone read-only); the
    message is one line naming the path; nothing half-written is kept. Exit code 1."""
