"""The JSON API under /api/v1: public, guest (manage token) and owner (bearer token)
endpoints, the OpenAPI document and its docs page.

The blueprint is in blueprint.py; importing the views modules here registers their routes.
"""

from . import (
    combination_views,
    docs,
    errors,
    guest_views,
    hold_views,
    owner_views,
    public_views,
    waitlist_views,
    webhook_views,
)
from .blueprint import bp

__all__ = ["bp", "combination_views", "docs", "errors", "guest_views", "hold_views",
           "owner_views", "public_views", "waitlist_views", "webhook_views"]
