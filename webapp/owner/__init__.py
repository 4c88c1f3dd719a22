"""The owners' and staff's dashboard. The blueprint is defined in views.py (the day view);
reservations, setup and tokens add their routes to it when imported here."""

from . import (
    calendar_feed,
    combinations,
    insights,
    onboarding,
    reservations,
    setup,
    staff,
    tokens,
    waitlist,
    webhooks,
    week,
)
from .views import bp

__all__ = ["bp", "calendar_feed", "combinations", "insights", "onboarding", "reservations",
           "setup", "staff", "tokens", "waitlist", "webhooks",
           "week"]
