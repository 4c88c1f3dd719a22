"""JSON endpoints under /api/v1."""

from . import bp  # noqa: F401
