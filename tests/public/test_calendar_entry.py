"""The .ics entry of the guest e-mails is written line by line (messages.calendar_entry);
it must be what the ``icalendar`` package writes for the same event, character for
character: property order, TEXT escaping (backslash, semicolon, comma, line breaks) and
folding at 75 octets, also of non-ASCII text."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.notifications.messages import calendar_entry

_STAMP = re.compile(r"DTSTAMP:\d{8}T\d{6}Z")


def with_the_package(restaurant, reservation, kind: str, manage_url: str | None,
                     host: str) -> str:
    """The entry built through icalendar's objects (what calendar_entry did before)."""
    cancelled = kind == "cancellation"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Booking Manager//booking-manager//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"reservation-{reservation.id}@{host}")
    event.add("sequence", reservation.version)
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", reservation.starts_at.astimezone(dt.UTC))
    event.add("dtend", reservation.ends_at.astimezone(dt.UTC))
    event.add("summary", f"Table for {reservation.party_size} at {restaurant.name}")
    if restaurant.address:
        event.add("location", restaurant.address)
    if manage_url:
        event.add("description", f"Change or cancel: {manage_url}")
        event.add("url", manage_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _same(restaurant, reservation, kind, url, host) -> None:
    ours = calendar_entry(restaurant, reservation, kind, url, host)
    theirs = with_the_package(restaurant, reservation, kind, url, host)
    assert _STAMP.sub("DTSTAMP:x", ours) == _STAMP.sub("DTSTAMP:x", theirs)
    assert _STAMP.search(ours)


def _reservation(**values):
    base = {"id": 7, "version": 1, "party_size": 2,
            "starts_at": dt.datetime(2030, 6, 12, 17, 30, tzinfo=dt.UTC),
            "ends_at": dt.datetime(2030, 6, 12, 19, 30, tzinfo=dt.UTC)}
    return SimpleNamespace(**{**base, **values})


def test_the_entries_the_e_mails_carry():
    berlin = dt.timezone(dt.timedelta(hours=2))
    restaurant = SimpleNamespace(name="Bistro; \"Zur Post\", Mitte \\ Süd",
                                 address="Hauptstraße 1\nBerlin, 10115\r\nHinterhof " * 3)
    url = "https://bistro.example/r/bistro/b/" + "A1b2_-" * 8
    for kind in ("confirmation", "change", "cancellation"):
        for manage_url in (url, None):
            _same(restaurant, _reservation(starts_at=dt.datetime(2030, 6, 12, 19, 30,
                                                                 tzinfo=berlin)),
                  kind, manage_url, "booking-manager")
    _same(SimpleNamespace(name="Plain", address=""), _reservation(version=12, id=123456),
          "confirmation", url, "bookings.example.com")


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)


@settings(max_examples=150, deadline=None)
@given(name=_TEXT, address=_TEXT, url=st.none() | _TEXT.filter(lambda u: "\n" not in u
                                                                  and "\r" not in u),
       party=st.integers(1, 500), version=st.integers(1, 10**6),
       kind=st.sampled_from(["confirmation", "change", "cancellation"]),
       host=st.from_regex(r"[a-z0-9.-]{1,40}", fullmatch=True))
def test_any_text_is_escaped_and_folded_as_the_package_does(name, address, url, party,
                                                             version, kind, host):
    _same(SimpleNamespace(name=name, address=address),
          _reservation(party_size=party, version=version), kind, url or None, host)
