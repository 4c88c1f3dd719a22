"""The dashboard: the list of one's restaurants and the day view (tables × time)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, redirect, render_template, request, stream_template, url_for
from flask_login import current_user, login_required

from ..caching import no_store
from ..extensions import db
from . import layout
from .access import Access, member_required
from .common import parse_day, poll_seconds, today
from .labels import GLOBALS as LABELS

bp = Blueprint("owner", __name__)
# Every dashboard page, fragment and export shows guests' data or the restaurant's setup.
bp.after_request(no_store)
# The words for the domain's codes (labels.py), for the dashboard's templates and macros.
bp.record_once(lambda state: state.app.jinja_env.globals.update(LABELS))


@bp.get("/")
@login_required
def index():
    memberships = sorted(current_user.memberships, key=lambda m: m.restaurant.name.lower())
    if len(memberships) == 1:
        return redirect(url_for("owner.home", ref=memberships[0].restaurant.slug))
    return render_template("owner/index.html", memberships=memberships)


@bp.get("/<ref>/")
@member_required
def home(access: Access):
    # A new restaurant's owner lands in the set-up guide until it is done or put off
    # (webapp/owner/onboarding.py); staff always get the day.
    if access.is_owner and access.restaurant.onboarded_at is None:
        return redirect(url_for("owner.guide_start", ref=access.ref))
    return redirect(url_for("owner.day", ref=access.ref, day=today(access.restaurant).isoformat()))


@bp.get("/<ref>/day")
@member_required
def pick_day(access: Access):
    """The date picker's plain GET form lands here."""
    day = parse_day(request.args.get("date")) if request.args.get("date") else \
        today(access.restaurant)
    return redirect(url_for("owner.day", ref=access.ref, day=day.isoformat()))


VIEWS = ("list", "grid")  # ?view=: a phone shows the list unless told, a wider screen the grid


def _view() -> str:
    """The chosen view, or "auto" (the stylesheet picks by the screen's width)."""
    view = request.args.get("view", "")
    return view if view in VIEWS else "auto"


def _html(template: str, **context) -> Response:
    """A template rendered to UTF-8 piece by piece. The day view of a big restaurant is
    megabytes of HTML: joined into one string first (render_template), a single
    character beyond Latin-1 anywhere in the page (an arrow, a check mark) makes all of
    it two bytes a character and its encoding several times slower; encoded piece by
    piece, only those pieces pay."""
    body = b"".join(piece.encode() for piece in stream_template(template, **context))
    return Response(body, mimetype="text/html")


@bp.get("/<ref>/day/<day>")
@member_required
def day(access: Access, day: str):
    date = parse_day(day)
    day_layout = layout.build(db.session, access.restaurant, date)
    return _html("owner/day.html", access=access, restaurant=access.restaurant,
                 layout=day_layout, day=date, today=today(access.restaurant),
                 previous=date - dt.timedelta(days=1), next=date + dt.timedelta(days=1),
                 poll_seconds=poll_seconds(), view=_view())


@bp.get("/<ref>/day/<day>/grid")
@member_required
def grid(access: Access, day: str):
    """The live part of the day view, polled by htmx. When nothing changed since the
    version the page holds (``?v=``), answer 204: htmx keeps the page as it is."""
    date = parse_day(day)
    if request.args.get("v") and request.args["v"] == layout.fingerprint(
            db.session, access.restaurant, date):
        return Response(status=204)
    day_layout = layout.build(db.session, access.restaurant, date)
    return _html("partials/owner_grid.html", access=access, restaurant=access.restaurant,
                 layout=day_layout, day=date, poll_seconds=poll_seconds(), view=_view())
