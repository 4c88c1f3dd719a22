"""Owner and staff login and logout (the blueprint and its routes: views.py)."""

from .views import bp

__all__ = ["bp"]
