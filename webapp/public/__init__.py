"""The guests' pages (the blueprint and its routes: views.py)."""

from .views import bp

__all__ = ["bp"]
