"""The guest's waitlist pages (the rules: booking/waitlist.py).

* ``/r/<slug>/waitlist``: the form (GET, prefilled from the booking page's date, party
  and time) and joining (POST). Success redirects to the guest's private link.
* ``/r/<slug>/w/<token>``: one address for both links the guest gets. The private link
  from joining shows the entry, its place in line and a "Leave the waitlist" button; the
  offer e-mail's link shows the offered time, how long it is held and one "Book this
  table" button. GET never writes: mail scanners and link previews open the links in
  e-mails, and a GET that booked would book for them.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import writes
from ..booking import slots as slotlib
from ..booking import waitlist
from ..booking.errors import BookingError
from ..booking.rules import GuestDetails
from ..booking.setup import restaurant_setup
from ..booking.slots import Schedule
from ..extensions import db
from ..i18n import clock_time, day_long, language
from ..models import Restaurant, WaitlistEntry
from ..notifications.waitlist_joined import queue_joined_mail
from .choices import date_choices, local_today, party_choices
from .forms import WaitlistActionForm, WaitlistForm
from .messages import guest_error
from .views import (
    DEFAULT_PARTY,
    _private,
    _redirect,
    _restaurant,
    bp,
    first_bookable_day,
    public_write_limit,
    utcnow,
)

# The default window around a time the guest asked for (clamped to its service).
AROUND_ASKED = dt.timedelta(hours=1)


# --------------------------------------------------------------------------- joining


def _wall(instant: dt.datetime, schedule: Schedule) -> str:
    return f"{instant.astimezone(schedule.zone):%H:%M}"


def default_window(schedule: Schedule, day: dt.date, party: int,
                   asked: dt.time | None) -> tuple[str, str]:
    """The window a guest most likely means: around the time they asked for (an hour
    either side, inside its service), else the day's last service (the evening, which
    is the one that fills); ("", "") for a day without service."""
    groups = slotlib.group_by_service(slotlib.candidate_slots(schedule, day, party))
    if not groups:
        return "", ""
    starts = [slot.starts_at for slot in groups[-1][1]]
    if asked is not None:
        for _name, group in groups:
            times = [slot.starts_at for slot in group]
            at = next((t for t in times if t.astimezone(schedule.zone).time() == asked), None)
            if at is not None:
                starts = [t for t in times if abs(t - at) <= AROUND_ASKED]
                break
    return _wall(starts[0], schedule), _wall(starts[-1], schedule)


def _asked_time() -> dt.time | None:
    try:
        return dt.time.fromisoformat(request.args.get("time", "")[:5])
    except ValueError:
        return None


def _prefilled_form(schedule: Schedule, now: dt.datetime) -> WaitlistForm:
    """The form as the booking page's link opens it: its date, party and time."""
    form = WaitlistForm(formdata=None)
    today = local_today(schedule, now)
    try:
        day: dt.date | None = dt.date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        day = None
    if day is None or not today <= day <= today + dt.timedelta(days=schedule.horizon_days):
        day = first_bookable_day(schedule, date_choices(schedule, now), now) or today
    raw_party = request.args.get("party_size") or request.args.get("party") or ""
    party = int(raw_party) if raw_party.isdigit() and 0 < int(raw_party) < 100 \
        else DEFAULT_PARTY
    form.date.data, form.party_size.data = day, party
    form.window_from.data, form.window_to.data = default_window(
        schedule, day, party, _asked_time())
    return form


def _join_page(restaurant: Restaurant, schedule: Schedule, form: WaitlistForm,
               now: dt.datetime, status: int = 200):
    today = local_today(schedule, now)
    parties = party_choices(schedule)
    if form.party_size.data is not None and form.party_size.data not in parties:
        parties = sorted([*parties, form.party_size.data])  # what was asked, shown
    page = render_template(
        "public/waitlist.html", restaurant=restaurant, form=form, parties=parties,
        first_day=today, last_day=today + dt.timedelta(days=schedule.horizon_days),
        back_url=_booking_page_url(restaurant, form))
    return current_app.make_response((page, status))


def _booking_page_url(restaurant: Restaurant, form: WaitlistForm) -> str:
    if form.date.data and form.party_size.data:
        return url_for("public.restaurant_page", slug=restaurant.slug,
                       date=form.date.data.isoformat(), party_size=form.party_size.data)
    return url_for("public.restaurant_page", slug=restaurant.slug)


def _show_refusal(form: WaitlistForm, error: BookingError, schedule: Schedule) -> None:
    """The engine's refusal at the field it names (as the booking page's), in the guest's
    language; the party refusal carries its number, so it is said again here."""
    message = (_("Parties of more than %(num)d cannot join the waitlist online; please "
                 "call the restaurant.", num=schedule.max_online_party)
               if error.field == "party_size" else guest_error(error))
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), message]
    else:
        form.form_errors.append(message)


@bp.route("/r/<slug>/waitlist", methods=["GET", "POST"])
@public_write_limit
def join_waitlist(slug: str):
    restaurant = _restaurant(slug)
    now = utcnow()
    schedule = restaurant_setup(db.session, restaurant).schedule
    if request.method == "GET":
        return _join_page(restaurant, schedule, _prefilled_form(schedule, now), now)
    form = WaitlistForm()
    if not form.validate():
        return _join_page(restaurant, schedule, form, now,
                          400 if "csrf_token" in form.errors else 422)
    earliest, latest = form.window_from.wall_time, form.window_to.wall_time
    assert earliest is not None and latest is not None  # validated: HH:MM
    try:
        joined = waitlist.join(
            db.session, restaurant, day=form.date.data, party_size=form.party_size.data,
            earliest=earliest, latest=latest,
            guest=GuestDetails(form.name.data, form.email.data, form.phone.data),
            language=language(), now=now)
    except BookingError as error:  # WaitlistRefused, InvalidPhone: at their field
        _show_refusal(form, error, schedule)
        return _join_page(restaurant, schedule, form, now, error.http_status)
    link = waitlist.offer_url(restaurant.slug, joined.token)
    queue_joined_mail(restaurant, joined.entry, link, schedule)
    flash(_("You are on the waitlist. We have sent you an e-mail with this private link."),
          "booked")
    return _redirect(url_for("public.waitlist_entry", slug=slug, token=joined.token))


# --------------------------------------------------------------------------- the guest's link


def _entry(restaurant: Restaurant, token: str) -> tuple[WaitlistEntry, bool]:
    found = waitlist.find(db.session, restaurant, token)
    if found is None:
        abort(404, description=_("We could not find this waitlist request. Please check the "
                                 "link in your e-mail."))
    return found


def place_in_line(entry: WaitlistEntry) -> int | None:
    """1 for the first guest waiting on the entry's date; None when not in line."""
    if entry.status not in waitlist.LIVE:
        return None
    ahead = db.session.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.restaurant_id == entry.restaurant_id,
        WaitlistEntry.service_date == entry.service_date,
        WaitlistEntry.status.in_(waitlist.LIVE),
        (WaitlistEntry.position < entry.position)
        | ((WaitlistEntry.position == entry.position) & (WaitlistEntry.id < entry.id))))
    return int(ahead or 0) + 1


def _facts(restaurant: Restaurant, entry: WaitlistEntry) -> dict[str, str]:
    zone = slotlib.zone(restaurant.timezone)
    facts = {"date": day_long(entry.service_date),
             "window": _("%(from)s to %(to)s", **{
                 "from": clock_time(entry.window_start.astimezone(zone)),
                 "to": clock_time(entry.window_end.astimezone(zone))})}
    if entry.offer_starts_at is not None and entry.offer_expires_at is not None:
        facts["offer_time"] = clock_time(entry.offer_starts_at.astimezone(zone))
        facts["held_until"] = clock_time(entry.offer_expires_at.astimezone(zone))
    return facts


def offer_open(entry: WaitlistEntry, now: dt.datetime) -> bool:
    return (entry.status == "offered" and entry.offer_expires_at is not None
            and entry.offer_expires_at > now)


def _render_link(restaurant: Restaurant, entry: WaitlistEntry, token: str, is_offer: bool,
                 form: WaitlistActionForm, *, status: int = 200, problem: str | None = None):
    now = utcnow()
    gone = is_offer and not offer_open(entry, now)
    page = render_template(
        "public/waitlist_offer.html" if is_offer else "public/waitlist_entry.html",
        restaurant=restaurant, entry=entry, token=token, form=form, gone=gone,
        problem=problem, place=place_in_line(entry), facts=_facts(restaurant, entry),
        offer_live=offer_open(entry, now),
        # Absolute under PUBLIC_BASE_URL, as in the e-mail: the link to keep.
        private_url=waitlist.offer_url(restaurant.slug, token),
        book_url=url_for("public.restaurant_page", slug=restaurant.slug,
                         date=entry.service_date.isoformat(), party_size=entry.party_size))
    return _private(current_app.make_response((page, 409 if gone else status)))


def _stale_page(restaurant: Restaurant, entry: WaitlistEntry, token: str, is_offer: bool,
                form: WaitlistActionForm):
    """A button pressed on a page whose CSRF token ran out: the page again, asking once more."""
    return _render_link(restaurant, entry, token, is_offer, form, status=400,
                        problem=_("This page was open too long. Please press the button "
                                  "again."))


@bp.get("/r/<slug>/w/<token>")
def waitlist_entry(slug: str, token: str):
    restaurant = _restaurant(slug)
    entry, is_offer = _entry(restaurant, token)
    return _render_link(restaurant, entry, token, is_offer, WaitlistActionForm())


@bp.post("/r/<slug>/w/<token>/leave")
@public_write_limit
def leave_waitlist(slug: str, token: str):
    restaurant = _restaurant(slug)
    entry, is_offer = _entry(restaurant, token)
    form = WaitlistActionForm()
    if not form.validate():
        return _stale_page(restaurant, entry, token, is_offer, form)
    if waitlist.leave(db.session, restaurant, entry.id):
        flash(_("You have left the waitlist."), "success")
    return _redirect(url_for("public.waitlist_entry", slug=slug, token=token))


@bp.post("/r/<slug>/w/<token>/book")
@public_write_limit
def take_waitlist_offer(slug: str, token: str):
    """"Book this table": the offer's held table, booked for the guest in line, with the
    usual confirmation e-mail (the same writer as the booking page's)."""
    restaurant = _restaurant(slug)
    entry, is_offer = _entry(restaurant, token)
    form = WaitlistActionForm()
    if not form.validate():
        return _stale_page(restaurant, entry, token, is_offer, form)
    now = utcnow()
    write = writes.start(restaurant, "guest:waitlist", now=now)
    try:
        result = waitlist.take_offer(db.session, restaurant, token, now=now,
                                     policy=write.policy, after_write=write.after_write)
    # The service rolled back: the entry is read again as it now is.
    except waitlist.OfferGone:
        entry, is_offer = _entry(restaurant, token)
        return _render_link(restaurant, entry, token, True, form, status=409)
    except BookingError as error:
        entry, is_offer = _entry(restaurant, token)
        return _render_link(restaurant, entry, token, is_offer, form,
                            status=error.http_status, problem=guest_error(error))
    write.committed()
    manage_token = write.manage_token or result.manage_token
    flash(_("Your table is booked. We have sent a confirmation e-mail with this private link."),
          "booked")
    return _redirect(url_for("public.manage", slug=slug, token=manage_token))
