"""Owner and staff login and logout (the blueprint and its routes: views.py), and the
account page (account.py)."""

from . import account, invitations  # noqa: F401  (their routes join the blueprint)
from .views import bp

__all__ = ["bp"]
