"""The guest's "I am coming" page, opened from the reminder's Confirm link.

GET only shows the page and its button: mail scanners and link previews fetch the links
in e-mails, and a GET that confirmed would confirm for them. The POST (with CSRF)
confirms, through ``booking.operations.attendance``.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ..booking.availability import load_schedule
from ..booking.operations.attendance import (
    NotConfirmable,
    confirm_attendance,
    why_not_confirmable,
)
from ..extensions import db
from ..notifications.messages import booking_facts
from .messages import guest_error, guest_text
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
    reason = why_not_confirmable(reservation, now)
    status, problem, just_confirmed = 200, reason and guest_text(reason), False
    stale_form = False
    if request.method == "POST" and problem is None:
        if form.validate():
            try:
                confirm_attendance(db.session, reservation, now)
                just_confirmed = True
            except NotConfirmable as error:
                problem, status = guest_error(error), error.http_status
        else:
            status = 400
            problem = _("This page was open too long. Please press the button again.")
            stale_form = True
    elif request.method == "POST":
        status = 409
    schedule = load_schedule(db.session, restaurant)
    page = render_template("public/confirm.html", restaurant=restaurant,
                           reservation=reservation, token=token, form=form, problem=problem,
                           just_confirmed=just_confirmed, problem_is_stale_form=stale_form,
                           # The service date, as the reminder says: a 00:30 start in
                           # Monday's late service is Monday's.
                           facts=booking_facts(restaurant, reservation, schedule))
    return _private(current_app.make_response((page, status)))
