"""The guest's "I am coming" page, opened from the reminder's Confirm link.

GET only shows the page and its button: mail scanners and link previews fetch the links
in e-mails, and a GET that confirmed would confirm for them. The POST (with CSRF)
confirms, through ``booking.operations.attendance``.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_wtf import FlaskForm

from ..booking.availability import load_schedule
from ..booking.operations.attendance import (
    NotConfirmable,
    confirm_attendance,
    why_not_confirmable,
)
from ..extensions import db
from ..notifications.messages import booking_facts
from .views import _private, _reservation, _restaurant, bp, public_write_limit, utcnow


class ConfirmAttendanceForm(FlaskForm):
    """Only the CSRF token: the button is the whole answer."""


@bp.route("/r/<slug>/b/<token>/confirm", methods=["GET", "POST"])
@public_write_limit
def confirm(slug: str, token: str):
    restaurant = _restaurant(slug)
    reservation = _reservation(restaurant, token)
    now = utcnow()
    form = ConfirmAttendanceForm()
    status, problem, just_confirmed = 200, why_not_confirmable(reservation, now), False
    if request.method == "POST" and problem is None:
        if form.validate():
            try:
                confirm_attendance(db.session, reservation, now)
                just_confirmed = True
            except NotConfirmable as error:
                problem, status = error.message, error.http_status
        else:
            status = 400
            problem = "This page was open too long. Please press the button again."
    elif request.method == "POST":
        status = 409
    schedule = load_schedule(db.session, restaurant)
    page = render_template("public/confirm.html", restaurant=restaurant,
                           reservation=reservation, token=token, form=form, problem=problem,
                           just_confirmed=just_confirmed,
                           # The service date, as the reminder says: a 00:30 start in
                           # Monday's late service is Monday's.
                           facts=booking_facts(restaurant, reservation, schedule))
    return _private(current_app.make_response((page, status)))
