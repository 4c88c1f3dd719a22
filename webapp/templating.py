"""Template helpers shared by every page."""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

from babel import dates
from flask import Flask

from .booking.phones import display_phone
from .i18n import language

# strftime's date fields as a CLDR skeleton's (the locale then orders and punctuates
# them: "Fr., 4. Dez."), and its time fields as a pattern's.
_DATE_FIELDS = {"%A": "EEEE", "%a": "E", "%d": "d", "%B": "MMMM", "%b": "MMM", "%Y": "y",
                "%m": "MM"}
_TIME_FIELDS = {"%H:%M:%S": "HH:mm:ss", "%H:%M": "HH:mm"}
_ISO_DATE = "%Y-%m-%d"


@functools.lru_cache(maxsize=256)
def _pattern(fmt: str, code: str) -> tuple[str, str]:
    """A strftime format as a date pattern and a time pattern for ``code`` ("" where it
    has none)."""
    time = next((pattern for key, pattern in _TIME_FIELDS.items() if key in fmt), "")
    fields = re.findall(r"%[A-Za-z]", re.sub(r"%H:%M(:%S)?", "", fmt))
    skeleton = "".join(_DATE_FIELDS.get(field, "") for field in fields)
    if not skeleton:
        return "", time
    full_weekday = "EEEE" in skeleton
    formats = dates.Locale.parse(code).datetime_skeletons
    key = dates.match_skeleton(skeleton.replace("EEEE", "E"), formats)
    pattern = str(formats[key]) if key else str(dates.get_date_format("medium", code))
    if full_weekday:
        pattern = re.sub(r"E+|c+", "EEEE", pattern)
    return pattern, time


def _localized(value: dt.date | dt.datetime, fmt: str, code: str) -> str:
    """``value`` with the fields of ``fmt`` as ``code`` writes them (not English)."""
    if fmt == _ISO_DATE:
        return value.strftime(fmt)
    date_pattern, time_pattern = _pattern(fmt, code)
    parts = []
    if date_pattern:
        parts.append(dates.format_date(value, date_pattern, locale=code))
    if time_pattern and isinstance(value, dt.datetime):
        parts.append(dates.format_time(value.time(), time_pattern, locale=code))
    return ", ".join(parts) if date_pattern and time_pattern and "," in fmt else " ".join(parts)


def local_time(value: dt.datetime, zone: str, fmt: str = "%H:%M") -> str:
    """Format a UTC datetime in a restaurant's time zone; in the page's language (English
    as strftime writes it, others by CLDR: "Fr., 4. Dez. 19:30")."""
    local = value.astimezone(ZoneInfo(zone))
    code = language()
    if code == "en":
        return local.strftime(fmt)
    return _localized(local, fmt, code)


def day_text(value: dt.date, fmt: str = "%A %d %B %Y") -> str:
    """A date as people write it: "Friday 4 December 2026", the day without a leading
    zero (``%d`` stands for the plain number; strftime's ``%-d`` is not portable); in
    another language as its CLDR data writes those fields ("Freitag, 4. Dezember 2026")."""
    code = language()
    if code != "en":
        return _localized(value, fmt, code)
    return value.strftime(fmt.replace("%d", str(value.day)))


def register(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["day_text"] = day_text
    app.jinja_env.filters["phone_display"] = display_phone  # national for the restaurant
    app.jinja_env.globals["app_environment"] = lambda: app.config["ENVIRONMENT"]
