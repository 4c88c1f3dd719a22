"""A guest's own reservation, reached only through its secret manage token."""

from __future__ import annotations

from .. import writes
from ..booking import service
from ..booking.availability import load_schedule
from ..extensions import db, limiter
from ..models import Reservation, Restaurant
from ..public.forms import CancelBookingForm, ChangeBookingForm
from . import representations as rep
from .blueprint import bp
from .bodies import bind
from .common import (
    json_response,
    service_date,
    start_from_wall_time,
    wall_time_text,
)
from .errors import not_found, set_zone
from .operations import documented
from .public_views import public_write_limit

RESERVATION = ("Reservation", "The reservation.")


def _by_token(token: str) -> tuple[Reservation, Restaurant]:
    reservation = service.find_by_token(db.session, token)
    if reservation is None:
        raise not_found("No reservation has this link; check that it was copied whole.")
    restaurant = db.session.get_one(Restaurant, reservation.restaurant_id)
    set_zone(restaurant.timezone)
    return reservation, restaurant


def _answer(reservation: Reservation, restaurant: Restaurant, token: str):
    return json_response(rep.reservation(reservation, restaurant, owner=False,
                                         manage_token=token))


@bp.get("/reservations/<token>")
@documented(summary="A guest's reservation", tag="Guest", auth="guest",
            responses={200: RESERVATION})
def guest_reservation(token: str):
    reservation, restaurant = _by_token(token)
    return _answer(reservation, restaurant, token)


@bp.patch("/reservations/<token>")
@limiter.limit(public_write_limit)
@documented(summary="Change the date, time or party size", tag="Guest", auth="guest",
            body=lambda: ChangeBookingForm, partial=True, rate_limited=True,
            description="Send only what changes. The online rules apply (the slot grid, lead "
                        "time, horizon); the guest keeps their table when it is free at the "
                        "new time.",
            responses={200: RESERVATION})
def change_guest_reservation(token: str):
    reservation, restaurant = _by_token(token)
    schedule = load_schedule(db.session, restaurant)
    current = {"date": service_date(schedule, reservation).isoformat(),
               "time": wall_time_text(schedule, reservation.starts_at),
               "party_size": str(reservation.party_size)}
    form = bind(ChangeBookingForm, current=current)
    wall = form.time.wall_time
    assert wall is not None  # bind() validated the form: the time is HH:MM
    starts_at = start_from_wall_time(schedule, form.date.data, wall,
                                     form.party_size.data, form.time.utc_offset)
    write = writes.start(restaurant, "guest", manage_token=token)
    changed = service.change(db.session, restaurant, reservation.id, starts_at=starts_at,
                             party_size=form.party_size.data, online=True, actor="guest",
                             policy=write.policy, after_write=write.after_write)
    write.committed()
    return _answer(changed, restaurant, token)


@bp.delete("/reservations/<token>")
@limiter.limit(public_write_limit)
@documented(summary="Cancel the reservation", tag="Guest", auth="guest",
            body=lambda: CancelBookingForm, partial=True, rate_limited=True,
            description="The DELETE itself is the confirmation; a body is optional. Only a "
                        "booked reservation that has not started can be cancelled online.",
            responses={200: ("Reservation", "The cancelled reservation.")})
def cancel_guest_reservation(token: str):
    reservation, restaurant = _by_token(token)
    bind(CancelBookingForm, current={"confirm": True})
    write = writes.start(restaurant, "guest", manage_token=token)
    cancelled = service.cancel(db.session, restaurant, reservation.id, online=True,
                               actor="guest", policy=write.policy, after_write=write.after_write)
    write.committed()
    return _answer(cancelled, restaurant, token)
