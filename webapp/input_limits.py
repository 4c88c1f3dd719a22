"""Limits every input door shares (dashboard forms, guest forms, the JSON API), each
defined once. Booking rules (the largest party, ...) live in ``webapp.booking.rules``."""

from __future__ import annotations

import datetime as dt

# Dates anyone may enter: far enough either way for any booking, and clear of the
# historical local-mean-time offsets (+00:53:28) that no ISO 8601 instant can carry and
# of date arithmetic overflowing (year 1, 9999).
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
DATE_RANGE_MESSAGE = f"Choose a date between {EARLIEST_DATE} and {LATEST_DATE}."

# A phone number: an optional leading +, at least five digits, and the separators people
# write between them.
PHONE_PATTERN = r"^\+?(?:[\s().\-/]*\d){5,}[\s().\-/]*$"
PHONE_MESSAGE = "Enter a phone number: digits, spaces, + ( ) - / only."
PHONE_MAX = 40
