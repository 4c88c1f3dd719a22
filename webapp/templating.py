"""Template helpers shared by every page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask


def local_time(value: dt.datetime, zone: str, fmt: str = "%H:%M") -> str:
    """Format a UTC datetime in a restaurant's time zone."""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def register(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["app_environment"] = lambda: app.config["ENVIRONMENT"]
