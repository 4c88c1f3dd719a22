"""Guests' phone numbers: parsed with ``phonenumbers`` and stored in E.164, read in the
restaurant's country; and a restaurant's country, derived from its time zone.

* ``"+49 (0) 170 / 123 45 67"`` is ``+491701234567`` (the "(0)" trunk prefix is dropped
  by the library), ``"0171 5555555"`` in a German restaurant is ``+491715555555``.
* A number that cannot be valid (wrong length for its country, no country known) is
  refused with :class:`InvalidPhone`, a field error under "phone".
* Owners see numbers formatted the national way for their country (``0171 5555555``),
  numbers from abroad in the international format.
"""

from __future__ import annotations

import functools
import importlib.resources

import phonenumbers

from .errors import BookingError


class InvalidPhone(BookingError):
    code = "invalid_phone"
    http_status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message, field="phone")


def parse_phone(raw: str, country: str) -> str:
    """``raw`` in E.164 (``country``: ISO 3166 code for numbers without ``+``); "" for
    an empty one. Raises :class:`InvalidPhone` for a number that cannot be valid."""
    raw = raw.strip()
    if not raw:
        return ""
    return _parsed(raw, country)


@functools.lru_cache(maxsize=4096)
def _parsed(raw: str, country: str) -> str:
    """:func:`parse_phone` of a stripped number, remembered: the same guest's number comes
    back with each of their bookings and changes, and parsing it is the library's metadata
    walk each time (a refusal raises, and is not remembered)."""
    region = country.upper() or None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        hint = ("" if region else
                " Start it with + and the country code, e.g. +49 170 1234567.")
        raise InvalidPhone(f"“{raw}” is not a valid phone number.{hint}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(stored: str, country: str) -> str:
    """A stored number as the restaurant reads it: national format for its own
    country, international for others; anything unparsable as stored."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, country.upper() or None)
    except phonenumbers.NumberParseException:
        return stored
    same_country = phonenumbers.region_code_for_number(number) == country.upper()
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if same_country
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


@functools.cache
def _zone_countries() -> dict[str, str]:
    """Zone name -> country code, from tzdata's zone.tab (one country per zone)."""
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    countries: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            countries[fields[2]] = fields[0]
    return countries


def country_for_zone(zone: str) -> str:
    """The country of an IANA time zone ("Europe/Berlin" -> "DE"); "" when it has none
    (UTC, Etc/...)."""
    return _zone_countries().get(zone, "")


def phone_countries() -> frozenset[str]:
    """The countries ``phonenumbers`` knows numbers of."""
    return frozenset(phonenumbers.SUPPORTED_REGIONS)
