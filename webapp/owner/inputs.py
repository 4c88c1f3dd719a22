"""The owner's reservation forms read into the operations' inputs, once for the
dashboard and the API (which validate the very same forms)."""

from __future__ import annotations

from ..booking.operations.reservations import Filters, Move, NewBooking
from ..booking.service import GuestDetails
from .forms import (
    EditReservationForm,
    MoveReservationForm,
    OwnerReservationForm,
    ReservationListForm,
)


def guest_of(form: OwnerReservationForm | EditReservationForm) -> GuestDetails:
    return GuestDetails(form.name.data, form.email.data or "", form.phone.data or "",
                        form.notes.data or "")


def new_booking(form: OwnerReservationForm) -> NewBooking:
    walk_in = form.source.data == "walk_in"
    return NewBooking(
        source=form.source.data, party_size=form.party_size.data, guest=guest_of(form),
        day=None if walk_in else form.date.data, time=None if walk_in else form.time.data,
        utc_offset=None if walk_in else form.time.utc_offset, table_id=form.table.data,
        duration_minutes=form.duration_minutes.data, notify_guest=bool(form.notify_guest.data),
        allow_past_closing=bool(form.allow_past_closing.data),
        shorten_to_closing=bool(form.shorten_to_closing.data),
        allow_same_guest=bool(form.allow_same_guest.data),
        allow_over_pace=bool(form.allow_over_pace.data),
        language=form.language.data or None, table_ids=form.table_ids.joined(),
        combination_id=form.combination.data)


def move_of(form: MoveReservationForm) -> Move:
    return Move(day=form.date.data, time=form.time.data, utc_offset=form.time.utc_offset,
                table_id=form.table.data, party_size=form.party_size.data,
                duration_minutes=form.duration_minutes.data, table_ids=form.table_ids.joined(),
                combination_id=form.combination.data)


def filters_of(form: ReservationListForm) -> Filters:
    """The list's filters; the API's query adds one ``date`` that means first = last."""
    day = getattr(form, "date", None)
    if day is not None and day.data:
        first = last = day.data
    else:
        first, last = form.start.data, form.end.data
    return Filters(first=first, last=last, status=form.status.data or None,
                   q=form.q.data or None)
