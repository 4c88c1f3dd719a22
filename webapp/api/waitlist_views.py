"""/api/v1 the waitlist: join, the owner's list.

The rules are in booking/waitlist.py, shared with the pages.
"""

from __future__ import annotations

from .blueprint import bp  # noqa: F401  (its routes are registered on it)
