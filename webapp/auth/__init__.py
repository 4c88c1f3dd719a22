"""Owner and staff login and logout (the blueprint and its routes: views.py), the
account page (account.py), sign-up (signup.py), proving the address (verification.py)
and a forgotten password (recovery.py)."""

from . import account, invitations, recovery, signup, verification  # noqa: F401  (routes)
from .views import bp

__all__ = ["bp"]
