"""The guest page offers no time whose pace is full (issue 19): its times come from the
one rule for online availability (booking.availability.bookable_times), as the API's
availability and the embed's do; a guest moving their own booking keeps their slot."""

from __future__ import annotations

import re

from sqlalchemy import update

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service
from webapp.models import OpeningHours


def _offered(html: str) -> list[str]:
    return re.findall(r'name="time" value="(\d\d:\d\d)"', html)


def test_a_full_pace_slot_is_not_offered_to_guests(client, session):
    restaurant = make_restaurant(session, slug="paced", tables=[("A", 4), ("B", 4), ("C", 4)])
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id,
                                               OpeningHours.name == "Dinner")
                    .values(pace_covers=4))
    restaurant.embed_origins = "https://bistro.example"  # the embed is on
    session.commit()
    day = future_day(5)
    booked = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=4, guest=service.GuestDetails("Ada", "ada@example.com"))
    page = client.get(f"/r/paced?date={day}&party_size=2").get_data(as_text=True)
    offered = _offered(page)
    # Tables are free at 19:00 (two of three), but its 4 covers are in.
    assert "18:45" in offered and "19:15" in offered and "19:00" not in offered, offered
    # The embed shows the same times.
    embed = client.get(f"/r/paced/embed?date={day}&party_size=2").get_data(as_text=True)
    assert "19:00" not in _offered(embed) and "19:15" in _offered(embed)
    # Ada changing her own booking may keep 19:00: her covers are the ones there.
    manage = client.get(f"/r/paced/b/{booked.manage_token}",
                        query_string={"date": str(day), "party_size": "4"})
    assert manage.status_code == 200
    assert "19:00" in _offered(manage.get_data(as_text=True))
