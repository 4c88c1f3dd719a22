"""The booking service's write policy, read from the app's configuration."""

from flask import current_app

from .booking.service import WritePolicy


def current_write_policy() -> WritePolicy:
    return WritePolicy(
        lock_timeout_ms=current_app.config["BOOKING_LOCK_TIMEOUT_MS"],
        advisory_locks=current_app.config["BOOKING_ADVISORY_LOCKS"],
    )
