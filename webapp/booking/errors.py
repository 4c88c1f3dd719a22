"""What can go wrong when booking, as exceptions the pages and the API translate.

Each carries an ``http_status`` (the status an HTTP caller should answer with)
and a ``code`` (a stable machine-readable name for the API), so the views map
them in one place without a table of special cases.
"""

from __future__ import annotations

import datetime as dt


class BookingError(Exception):
    code = "booking_error"
    http_status = 409

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The form field the guest should correct, when there is one.
        self.field = field


class SlotTaken(BookingError):
    """The table (or every suitable table) is held at that time."""

    code = "slot_taken"
    http_status = 409

    def __init__(self, message: str = "That time was just taken.", *,
                 alternatives: list[dt.datetime] | None = None,
                 free_tables: list[str] | None = None, by_constraint: bool = False) -> None:
        super().__init__(message, field="time")
        # Nearby start times (UTC) at which a suitable table is still free.
        self.alternatives = alternatives or []
        # Names of other tables free at the requested time (owner bookings).
        self.free_tables = free_tables or []
        # True when the database backstop (exclusion constraint / trigger) refused the
        # write, i.e. the advisory locks and the re-check let a conflict through. Stays
        # False while the locks work; the control test switches them off to see it True.
        self.by_constraint = by_constraint


class GuestAlreadyBooked(BookingError):
    code = "guest_overlap"
    http_status = 409

    # What matched: the e-mail address or the phone number (the field the guest sees).
    MESSAGES = {
        "email": "There is already a booking with this e-mail address at an overlapping time.",
        "phone": "There is already a booking with this phone number at an overlapping time.",
    }

    def __init__(self, message: str | None = None, *, field: str = "email") -> None:
        super().__init__(message or self.MESSAGES.get(field, self.MESSAGES["email"]),
                         field=field)


class OutsideOpeningHours(BookingError):
    code = "outside_opening_hours"
    http_status = 422

    def __init__(self, message: str = "The restaurant does not take bookings at that time.") -> None:
        super().__init__(message, field="time")


class TooLate(BookingError):
    code = "too_late"
    http_status = 422

    def __init__(self, message: str = "That time is too soon to book online.") -> None:
        super().__init__(message, field="time")


class TooFarAhead(BookingError):
    code = "too_far_ahead"
    http_status = 422

    def __init__(self, message: str = "That date is too far ahead to book.") -> None:
        super().__init__(message, field="date")


class PartyTooLarge(BookingError):
    code = "party_too_large"
    http_status = 422

    def __init__(self, message: str = "That party is too large to book online; please call the "
                 "restaurant.") -> None:
        super().__init__(message, field="party_size")


class NoSuitableTable(BookingError):
    code = "no_suitable_table"
    http_status = 422

    def __init__(self, message: str = "No table takes a party of that size.") -> None:
        super().__init__(message, field="party_size")


class InvalidDuration(BookingError):
    code = "invalid_duration"
    http_status = 422

    def __init__(self, message: str = "A stay must last between 5 minutes and a day.") -> None:
        super().__init__(message, field="duration")


class LockTimeout(BookingError):
    """Another booking held the slot for longer than the lock timeout; try again."""

    code = "lock_timeout"
    http_status = 503

    def __init__(self, message: str = "The restaurant is very busy right now; please try again "
                 "in a moment.") -> None:
        super().__init__(message)


class InvalidTransition(BookingError):
    code = "invalid_transition"
    http_status = 409

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"A reservation that is {current.replace('_', ' ')} cannot become "
                         f"{wanted.replace('_', ' ')}.", field="status")
        self.current = current
        self.wanted = wanted


class NotChangeable(BookingError):
    """Cancelled, finished or past reservations are read-only."""

    code = "not_changeable"
    http_status = 409


class StaleReservation(BookingError):
    """The reservation changed since the caller read it (optimistic check on ``version``)."""

    code = "stale"
    http_status = 409

    def __init__(self, message: str = "This reservation was changed meanwhile; reload it and "
                 "try again.") -> None:
        super().__init__(message)


class ReservationNotFound(BookingError):
    code = "not_found"
    http_status = 404

    def __init__(self, message: str = "No such reservation.") -> None:
        super().__init__(message)


class TableNotFound(BookingError):
    code = "table_not_found"
    http_status = 422

    def __init__(self, message: str = "No such table at this restaurant.") -> None:
        super().__init__(message, field="table")


class TableInactive(BookingError):
    """The table was taken out of service while this write was under way."""

    code = "table_inactive"
    http_status = 409

    def __init__(self, name: str = "") -> None:
        table = f"Table {name}" if name else "That table"
        super().__init__(f"{table} is no longer bookable; choose another table.", field="table")


class TableRemoved(BookingError):
    """The table was removed (a table that never held a booking) while this write was
    under way: the write found no row to put the booking on."""

    code = "table_removed"
    http_status = 409

    def __init__(self, name: str = "") -> None:
        table = f"Table {name}" if name else "That table"
        super().__init__(f"{table} was just removed; choose another table.", field="table")


class NotOnServiceDay(BookingError):
    """Seat, complete and no-show belong to the booking's service day; an owner may
    override (``allow_off_day``), staff and tokens without it may not."""

    code = "not_on_service_day"
    http_status = 409

    def __init__(self, message: str, *, may_override: bool = False) -> None:
        super().__init__(message, field="status")
        # True when the caller may send the same request again with the override.
        self.may_override = may_override


class StayPastClosing(OutsideOpeningHours):
    """A phone booking that starts inside a service but whose stay ends after closing.
    The owner may keep it (``allow_past_closing``) or shorten it to end at closing
    (``shorten_to_closing``); ``closes_at`` and ``minutes_to_closing`` say where."""

    code = "stay_past_closing"

    def __init__(self, message: str, *, closes_at: dt.datetime,
                 minutes_to_closing: int) -> None:
        super().__init__(message)
        self.closes_at = closes_at
        self.minutes_to_closing = minutes_to_closing


class NotReinstatable(BookingError):
    """A no-show or cancellation that can no longer be taken back."""

    code = "not_reinstatable"
    http_status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message, field="status")


class PaceExceeded(SlotTaken):
    """The time's pace slot (or its service) has no room for the party's covers
    (booking/pacing.py). An owner may book anyway (``allow_over_pace``), which the
    history records; guests are offered other times, as for a taken slot."""

    code = "pace_exceeded"
    http_status = 409

    def __init__(self, message: str = "That time is fully booked.", *,
                 may_override: bool = False) -> None:
        super().__init__(message)
        # True when the caller may send the same request again with the override.
        self.may_override = may_override


class CancelCutoffPassed(NotChangeable):
    """Too close to the start for a guest to change or cancel online (the restaurant's
    ``cancel_cutoff_hours``); the guest is sent to the phone. Owners are not bound."""

    code = "cancel_cutoff"
    http_status = 409

    def __init__(self, hours: int, phone: str = "") -> None:
        call = f"please call the restaurant on {phone}" if phone else "please call the restaurant"
        unit = "hour" if hours == 1 else "hours"
        super().__init__(f"Online changes and cancellations close {hours} {unit} before the "
                         f"booking; {call}.")
        self.hours = hours
        self.phone = phone
