"""The insights page: the last or next 4–12 weeks as charts, each chart's numbers as CSV.

booking/insights.py counts; here each chart becomes one table (header + rows), and the
SVG, the table under it and the CSV are all drawn from that one table, so the three
cannot disagree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, render_template, request
from markupsafe import Markup

from ..booking import insights as stats
from ..extensions import db
from . import charts
from .access import Access, member_required
from .common import today
from .reservations import csv_safe
from .views import bp


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    desc: str
    header: list[str]
    rows: list[list[str | int | float]]
    svg: Markup


def _day_label(day) -> str:
    return f"{day.day} {day:%b}"


def _percent(part: float) -> float:
    return round(100 * part, 1)


def covers_chart(data: stats.Insights) -> Chart:
    days = data.period.days
    header = ["date", *data.services, "total", "closed"]
    rows: list[list[str | int | float]] = []
    for day in days:
        per = data.covers[day]
        rows.append([day.isoformat(), *(per[s] for s in data.services), sum(per.values()),
                     "yes" if day in data.closed_days else "no"])
    series = [charts.Series(name, [per for per in (data.covers[d][name] for d in days)])
              for name in data.services]
    weeks = data.period.weeks
    desc = (f"Guests per service date from {_day_label(days[0])} to {_day_label(days[-1])}, "
            f"stacked by service: {data.total_covers} covers in all"
            + (f"; {len(data.closed_days)} closed days drawn grey." if data.closed_days else "."))
    common: dict[str, Any] = dict(title="Covers per day by service", desc=desc,
        labels=[_day_label(d) for d in days], series=series, y_label="Covers",
        x_label="Service date", tick_every=7 * max(1, -(-weeks // 6)),
        item_titles=[f"{d:%a} {_day_label(d)}" for d in days], unit_word="covers",
        closed=[d in data.closed_days for d in days])
    # Wide for the page's full width, narrow (taller for its width) for phones: owner.css
    # shows one of the two, so the other is out of the accessibility tree as well.
    svg = (charts.column_chart("covers", width=960, height=320, extra_class=" chart-wide",
                               **common)
           + charts.column_chart("covers-narrow", width=480, height=340,
                                 extra_class=" chart-narrow", **common))
    return Chart("covers", "Covers per day by service", desc, header, rows, svg)


def sources_chart(data: stats.Insights) -> Chart:
    labels = [stats.SOURCE_LABELS.get(s, s) for s in data.sources]
    values = list(data.sources.values())
    desc = f"How the {data.bookings} bookings were made."
    svg = charts.bar_chart("sources", title="Bookings by source", desc=desc, labels=labels,
                           values=values, x_label="Bookings", unit_word="bookings")
    return Chart("sources", "Bookings by source", desc, ["source", "bookings"],
                 [[label, value] for label, value in zip(labels, values, strict=True)], svg)


def rates_chart(data: stats.Insights) -> Chart:
    labels = [f"from {_day_label(r.first)}" for r in data.rates]
    cancel = [_percent(r.cancellation_rate) for r in data.rates]
    no_show = [_percent(r.no_show_rate) for r in data.rates]
    desc = ("Per week: cancellations as a share of all bookings, no-shows as a share of "
            "the bookings not cancelled.")
    svg = charts.line_chart(
        "rates", title="Cancellation and no-show rates", desc=desc,
        labels=[_day_label(r.first) for r in data.rates],
        series=[charts.Series("Cancelled", cancel), charts.Series("No-show", no_show)],
        y_label="Share of bookings", x_label="Week from", unit="%",
        tick_every=1 if len(labels) <= 6 else 2)
    header = ["week_from", "bookings", "cancelled", "no_shows", "cancellation_rate_percent",
              "no_show_rate_percent"]
    rows: list[list[str | int | float]] = [
        [r.first.isoformat(), r.bookings, r.cancelled, r.no_shows, c, n]
        for r, c, n in zip(data.rates, cancel, no_show, strict=True)]
    return Chart("rates", "Cancellation and no-show rates", desc, header, rows, svg)


def lead_chart(data: stats.Insights) -> Chart:
    labels, values = list(data.lead_times), list(data.lead_times.values())
    desc = "How long before the visit the bookings were made."
    svg = charts.bar_chart("lead-time", title="Lead time", desc=desc, labels=labels,
                           values=values, x_label="Bookings", unit_word="bookings")
    return Chart("lead-time", "Lead time", desc, ["booked_before_visit", "bookings"],
                 [[label, value] for label, value in zip(labels, values, strict=True)], svg)


def party_chart(data: stats.Insights) -> Chart:
    labels, values = list(data.party_sizes), list(data.party_sizes.values())
    desc = "Bookings by the number of guests."
    svg = charts.column_chart(
        "party-sizes", title="Party sizes", desc=desc, labels=labels,
        series=[charts.Series("Bookings", values)], y_label="Bookings", x_label="Guests",
        item_titles=[f"Party of {label}" for label in labels], unit_word="bookings")
    return Chart("party-sizes", "Party sizes", desc, ["party_size", "bookings"],
                 [[label, value] for label, value in zip(labels, values, strict=True)], svg)


CHARTS: dict[str, Callable[[stats.Insights], Chart]] = {
    "covers": covers_chart, "sources": sources_chart, "rates": rates_chart,
    "lead-time": lead_chart, "party-sizes": party_chart,
}


def _period(access: Access) -> stats.Period:
    return stats.period(today(access.restaurant), request.args.get("weeks"),
                        request.args.get("dir"))


@bp.get("/<ref>/insights")
@member_required
def insights(access: Access):
    try:
        span = _period(access)
    except stats.PeriodError as error:
        return render_template("owner/insights.html", access=access,
                               restaurant=access.restaurant, error=str(error), span=None,
                               charts=[], choices=range(stats.MIN_WEEKS, stats.MAX_WEEKS + 1),
                               weeks=stats.DEFAULT_WEEKS, direction="past"), 422
    data = stats.insights(db.session, access.restaurant, span)
    return render_template("owner/insights.html", access=access, restaurant=access.restaurant,
                           error=None, span=span, data=data,
                           charts=[build(data) for build in CHARTS.values()],
                           choices=range(stats.MIN_WEEKS, stats.MAX_WEEKS + 1),
                           weeks=span.weeks, direction=span.direction)


@bp.get("/<ref>/insights/<chart>.csv")
@member_required
def insights_csv(access: Access, chart: str):
    build = CHARTS.get(chart)
    if build is None:
        abort(404)
    try:
        span = _period(access)
    except stats.PeriodError as error:
        return Response(str(error), status=422, mimetype="text/plain")
    table = build(stats.insights(db.session, access.restaurant, span))
    out = io.StringIO()
    writer = csv.writer(out)
    # Service names are the owner's words: one starting with "=" must stay text.
    writer.writerow([csv_safe(h) for h in table.header])
    for row in table.rows:
        writer.writerow([v if isinstance(v, int | float) else csv_safe(v) for v in row])
    filename = (f"{chart}-{access.restaurant.slug}-{span.first.isoformat()}"
                f"-{span.last.isoformat()}.csv")
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
