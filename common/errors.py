"""The errors a user can cause and fix (a missing file, an unknown model, a backend this
machine lacks, an export that cannot run here). Every layer derives its own from `UserError`,
so the CLI, the viewer and a batch job recognise them in one place: their message is one line
naming the thing and what to do, shown as it is (exit code 2 in the CLI)."""
from __future__ import annotations


class UserError(Exception):
    """Something the user asked for that cannot be done as asked; the message says why."""


def describe_error(exc: BaseException) -> str:
    """One line for a banner or a summary: the user's errors as they are, anything else (a
    bug, an OS error) with its type so that it can be reported."""
    return str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
