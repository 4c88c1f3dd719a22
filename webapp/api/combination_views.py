"""/api/v1 table combinations: list, add, change, remove.

The rules are in booking/operations/combinations.py, shared with the dashboard.
"""

from __future__ import annotations

from .blueprint import bp  # noqa: F401  (its routes are registered on it)
