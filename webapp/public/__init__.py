"""The guests' pages (the blueprint and its routes: views.py; the reminder's confirm page:
confirm.py; the booking flow for an <iframe> on the restaurant's site: embed.py; the
waitlist: waitlist.py)."""

from . import confirm as _confirm  # noqa: F401  (registers the confirm page on bp)
from . import embed as _embed  # noqa: F401  (registers the embed pages on bp)
from . import waitlist as _waitlist  # noqa: F401  (registers the waitlist pages on bp)
from .views import bp

__all__ = ["bp"]
