"""The guests' pages (the blueprint and its routes: views.py; the reminder's confirm page: confirm.py)."""

from . import confirm as _confirm  # noqa: F401  (registers the confirm page on bp)
from .views import bp

__all__ = ["bp"]
