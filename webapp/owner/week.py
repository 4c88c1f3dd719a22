"""The week view: each service date's covers and bookings per service, the busiest
arrival slot marked, one click to the day. The figures come from booking/insights.py."""

from __future__ import annotations

import datetime as dt

from flask import redirect, render_template, url_for

from ..booking import insights
from ..booking.availability import load_schedule
from ..extensions import db
from . import charts
from .access import Access, member_required
from .common import parse_day, today
from .views import bp


@bp.get("/<ref>/week")
@member_required
def this_week(access: Access):
    monday = insights.week_start(today(access.restaurant))
    return redirect(url_for("owner.week", ref=access.ref, day=monday.isoformat()))


@bp.get("/<ref>/week/<day>")
@member_required
def week(access: Access, day: str):
    date = parse_day(day)
    schedule = load_schedule(db.session, access.restaurant)
    summary = insights.week(db.session, access.restaurant, date, schedule=schedule)
    monday = summary.monday
    return render_template(
        "owner/week.html", access=access, restaurant=access.restaurant, week=summary,
        today=today(access.restaurant), zone=schedule.zone, heat=charts.heat_strip,
        previous=monday - dt.timedelta(days=7), next=monday + dt.timedelta(days=7),
        this_monday=insights.week_start(today(access.restaurant)))
