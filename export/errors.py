"""Errors of exporting and engine building that the user can act on; each message is one line
naming the thing and what to do."""
from common.errors import UserError


class ExportError(UserError):
    """An export, verification or engine build that cannot be done here or did not pass."""


class TensorRTUnavailable(ExportError):
    """TensorRT (or torch-tensorrt, or a CUDA GPU for it) is missing on this machine."""
