"""Template helpers shared by every page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask

from .booking.phones import display_phone


def local_time(value: dt.datetime, zone: str, fmt: str = "%H:%M") -> str:
    """Format a UTC datetime in a restaurant's time zone."""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def day_text(value: dt.date, fmt: str = "%A %d %B %Y") -> str:
    """A date as people write it: "Friday 4 December 2026", the day without a leading
    zero (``%d`` stands for the plain number; strftime's ``%-d`` is not portable)."""
    return value.strftime(fmt.replace("%d", str(value.day)))


def register(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["day_text"] = day_text
    app.jinja_env.filters["phone_display"] = display_phone  # national for the restaurant
    app.jinja_env.globals["app_environment"] = lambda: app.config["ENVIRONMENT"]
