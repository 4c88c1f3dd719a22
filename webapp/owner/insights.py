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
from flask_babel import gettext as _
from markupsafe import Markup

from ..booking import insights as stats
from ..extensions import db
from ..templating import day_text
from . import charts
from .access import Access, member_required
from .common import today
from .labels import translate_refusal
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
    return day_text(day, "%d %b")  # "4 Dec"; "4. Dez."


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
    desc = _("Guests per service date from %(first)s to %(last)s, stacked by service: "
             "%(covers)s covers in all", first=_day_label(days[0]), last=_day_label(days[-1]),
             covers=data.total_covers)
    desc += (_("; %(num)s closed days drawn grey.", num=len(data.closed_days))
             if data.closed_days else ".")
    common: dict[str, Any] = dict(title=_("Covers per day by service"), desc=desc,
        labels=[_day_label(d) for d in days], series=series, y_label=_("Covers"),
        x_label=_("Service date"), tick_every=7 * max(1, -(-weeks // 6)),
        item_titles=[f"{d:%a} {_day_label(d)}" for d in days], unit_word="covers",
        closed=[d in data.closed_days for d in days])
    # Wide for the page's full width, narrow (taller for its width) for phones: owner.css
    # shows one of the two, so the other is out of the accessibility tree as well.
    svg = (charts.column_chart("covers", width=960, height=320, extra_class=" chart-wide",
                               **common)
           + charts.column_chart("covers-narrow", width=480, height=340,
                                 extra_class=" chart-narrow", **common))
    return Chart("covers", _("Covers per day by service"), desc, header, rows, svg)


def sources_chart(data: stats.Insights) -> Chart:
    labels = [_(stats.SOURCE_LABELS.get(s, s)) for s in data.sources]  # labels.DOMAIN_WORDS
    values = list(data.sources.values())
    desc = _("How the %(num)s bookings were made.", num=data.bookings)
    svg = charts.bar_chart("sources", title=_("Bookings by source"), desc=desc, labels=labels,
                           values=values, x_label=_("Bookings"), unit_word=_("bookings"))
    return Chart("sources", _("Bookings by source"), desc, ["source", "bookings"],
                 [[label, value] for label, value in zip(labels, values, strict=True)], svg)


def rates_chart(data: stats.Insights) -> Chart:
    labels = [f"from {_day_label(r.first)}" for r in data.rates]
    cancel = [_percent(r.cancellation_rate) for r in data.rates]
    no_show = [_percent(r.no_show_rate) for r in data.rates]
    desc = (_("Per week: cancellations as a share of all bookings, no-shows as a share of "
            "the bookings not cancelled."))
    svg = charts.line_chart(
        "rates", title=_("Cancellation and no-show rates"), desc=desc,
        labels=[_day_label(r.first) for r in data.rates],
        series=[charts.Series(_("Cancelled"), cancel), charts.Series(_("No-show"), no_show)],
        y_label=_("Share of bookings"), x_label=_("Week from"), unit="%",
        tick_every=1 if len(labels) <= 6 else 2)
    header = ["week_from", "bookings", "cancelled", "no_shows", "cancellation_rate_percent",
              "no_show_rate_percent"]
    rows: list[list[str | int | float]] = [
        [r.first.isoformat(), r.bookings, r.cancelled, r.no_shows, c, n]
        for r, c, n in zip(data.rates, cancel, no_show, strict=True)]
    return Chart("rates", _("Cancellation and no-show rates"), desc, header, rows, svg)


def lead_chart(data: stats.Insights) -> Chart:
    labels = [_(label) for label in data.lead_times]  # labels.DOMAIN_WORDS
    values = list(data.lead_times.values())
    desc = _("How long before the visit the bookings were made.")
    svg = charts.bar_chart("lead-time", title=_("Lead time"), desc=desc, labels=labels,
                           values=values, x_label=_("Bookings"), unit_word=_("bookings"))
    return Chart("lead-time", _("Lead time"), desc, ["booked_before_visit", "bookings"],
                 [[label, value] for label, value in zip(labels, values, strict=True)], svg)


def party_chart(data: stats.Insights) -> Chart:
    labels, values = list(data.party_sizes), list(data.party_sizes.values())
    desc = _("Bookings by the number of guests.")
    svg = charts.column_chart(
        "party-sizes", title=_("Party sizes"), desc=desc, labels=labels,
        series=[charts.Series(_("Bookings"), values)], y_label=_("Bookings"), x_label=_("Guests"),
        item_titles=[_("Party of %(size)s", size=label) for label in labels],
        unit_word=_("bookings"))
    return Chart("party-sizes", _("Party sizes"), desc, ["party_size", "bookings"],
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
                               restaurant=access.restaurant, error=translate_refusal(str(error)), span=None,
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
