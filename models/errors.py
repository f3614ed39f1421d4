"""The one error type of the models package: something the user can fix (an unknown model
name, weights that are missing, corrupt or do not fit the architecture)."""
from common.errors import UserError


class ModelError(UserError):
    """Raised with a one-line message that names the thing and what to do."""
