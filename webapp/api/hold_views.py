"""/api/v1 holds: a guest's or an integration's short claim on a table.

The rules are in booking/holds.py, shared with the guest page.
"""

from __future__ import annotations

from .blueprint import bp  # noqa: F401  (its routes are registered on it)
