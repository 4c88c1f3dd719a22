"""The guest's pages: book a table at /r/<slug>, then see, change or cancel it through
the private link /r/<slug>/b/<token>.

Thin views: read the form, ask ``booking.service``, render a page, or just the
times fragment when htmx asks (``HX-Request``, not a history restore). Writes
follow POST-redirect-GET, so reloading a confirmation never books twice.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import clock, writes
from ..booking import holds, rules, service
from ..booking import slots as slotlib
from ..booking.availability import load_schedule
from ..booking.errors import BookingError, SlotTaken
from ..booking.operations.accounts import NOT_PUBLISHED
from ..booking.setup import restaurant_by_slug, restaurant_setup
from ..extensions import db, limiter
from ..i18n import (
    clock_time,
    day_month,
    day_short,
    day_short_year,
    language,
    month_year,
    note_page_restaurant,
)
from ..models import Reservation, Restaurant
from ..notifications.messages import booking_facts, calendar_entry
from ..notifications.outbox import calendar_host
from ..replica import replica_reads
from ..slug_redirects import redirect_if_moved
from .choices import (
    DateChoice,
    TimeChoice,
    date_choices,
    day_problem,
    free_times,
    local_today,
    months,
    party_choices,
    resolve_start,
    time_choice,
)
from .forms import (
    TIME_PATTERN,
    AvailabilityForm,
    BookingForm,
    CancelBookingForm,
    ChangeBookingForm,
    HoldForm,
)
from .messages import guest_error, guest_text

bp = Blueprint("public", __name__)

DEFAULT_PARTY = 2

# All public writes share one budget per client address.
public_write_limit = limiter.shared_limit(
    lambda: current_app.config["PUBLIC_WRITE_RATE_LIMIT"], scope="public-write", methods=["POST"],
    error_message=lambda: _("Too many booking requests from your connection. Please wait a "
                            "minute and try again."))


# Holds (booking/holds.py) per client address: one hold per browser session is the
# engine's rule; this keeps one client from opening sessions to hold a whole evening.
HOLD_RATE_LIMIT = "30 per 10 minutes"
hold_limit = limiter.limit(
    lambda: current_app.config.get("PUBLIC_HOLD_RATE_LIMIT", HOLD_RATE_LIMIT), methods=["POST"],
    error_message=lambda: _("Too many booking requests from your connection. Please wait a "
                            "minute and try again."))


def utcnow() -> dt.datetime:
    return clock.now()


def _restaurant(slug: str) -> Restaurant:
    restaurant = restaurant_by_slug(db.session, slug)
    note_page_restaurant(restaurant)  # its default language, for the page's language
    if restaurant is None:
        redirect_if_moved(slug)  # an address the restaurant had before: 301 to the new one
        abort(404, description=_("There is no restaurant at this address. Please check the "
                                 "link."))
    # Not published yet (booking/operations/accounts.publish): no page, no times, no
    # booking for anyone. A booking's own pages (its manage token in the path) still open.
    if restaurant.published_at is None and "token" not in (request.view_args or {}):
        abort(404, description=guest_text(NOT_PUBLISHED))
    return restaurant


def _reservation(restaurant: Restaurant, token: str) -> Reservation:
    reservation = service.find_by_token(db.session, token)
    if reservation is None or reservation.restaurant_id != restaurant.id:
        abort(404, description=_("We could not find this booking. Please check the link in "
                                 "your confirmation e-mail."))
    return reservation


def _wants_fragment() -> bool:
    htmx = cast(Any, request).htmx  # htmx_flask's request class, which has no types
    return bool(htmx) and not htmx.history_restore_request


def _render(page: str, fragment: str, status: int = 200, **context):
    """The full page, or only its fragment for htmx; both vary on HX-Request."""
    body = render_template(fragment if _wants_fragment() else page, **context)
    response = current_app.make_response((body, status))
    response.vary.add("HX-Request")
    return response


def _private(response):
    """A guest's booking page holds personal data and its URL is the key: keep it out of
    shared caches and search engines."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _redirect(location: str):
    """A redirect after a successful write: htmx follows HX-Redirect with a full page load."""
    if cast(Any, request).htmx:
        response = current_app.make_response(("", 204))
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


_manage_link = writes.manage_page_url


def _apply_error(form, error: BookingError) -> None:
    """Show a booking error at the field it concerns (time, date, party size, e-mail)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), guest_error(error)]
    else:
        form.form_errors.append(guest_error(error))


# --------------------------------------------------------------------------- booking page


@bp.get("/")
def home():
    return render_template("public/home.html")


# --------------------------------------------------------------------------- the guest's hold
# The browser session keeps who holds (a random id, made at the first hold) and, per
# restaurant, the token of the hold, which the booking names. No session: no hold.


def _holder(create: bool = False) -> str:
    """This browser session's holder id ("" when it has none and ``create`` is False)."""
    holder = session.get("holder")
    if not isinstance(holder, str) or not holder:
        if not create:
            return ""
        holder = session["holder"] = secrets.token_urlsafe(18)
    return holder


def _holder_hash() -> str:
    """What the free-times lists take so the guest's own held time stays offered."""
    holder = _holder()
    return holds.holder_hash(holder) if holder else ""


def _hold_token(restaurant: Restaurant) -> str:
    kept = session.get("holds")
    token = kept.get(str(restaurant.id)) if isinstance(kept, dict) else None
    return token if isinstance(token, str) else ""


def _keep_hold(restaurant: Restaurant, token: str | None) -> None:
    kept = session.get("holds")
    kept = dict(kept) if isinstance(kept, dict) else {}
    if token:
        kept[str(restaurant.id)] = token
    else:
        kept.pop(str(restaurant.id), None)
    session["holds"] = kept


def _hold_note(restaurant: Restaurant, schedule, now: dt.datetime) -> str | None:
    """"We are holding a table for you until 19:37." while the session's hold lives."""
    token = _hold_token(restaurant)
    expires = holds.live_hold(db.session, restaurant, token, now) if token else None
    if expires is None:
        return None
    return _("We are holding a table for you until %(time)s.",
             time=clock_time(expires.astimezone(schedule.zone)))


def _availability(restaurant: Restaurant, schedule, form: AvailabilityForm, now: dt.datetime,
                  *, ignore: int | None = None, holder: str = "") -> dict:
    """What the times area shows for the chosen date and party size."""
    if form.errors or form.date.data is None or form.party_size.data is None:
        return {"times": [], "problem": None, "full": False}
    day, party = form.date.data, form.party_size.data
    problem = day_problem(schedule, day, now)
    if problem is None and party > schedule.max_online_party:
        problem = (_("For parties of more than %(num)d please call us at %(phone)s.",
                     num=schedule.max_online_party, phone=restaurant.phone)
                   if restaurant.phone else
                   _("For parties of more than %(num)d please call us.",
                     num=schedule.max_online_party))
    if problem:
        return {"times": [], "problem": problem, "full": False}
    times = free_times(db.session, restaurant, schedule, day, party, now, ignore=ignore,
                       holder=holder)
    # Full (or no time left today): the waitlist can still find the guest a table.
    full = not times
    if not times:
        is_today = day == local_today(schedule, now)
        if is_today and _online_closed_today(schedule, day, party, now):
            full = False  # only the lead time is in the way: call, not wait
            problem = _("Online booking has closed for today.") + " " + (
                _("Please call us on %(phone)s; we may still have a table.",
                  phone=restaurant.phone) if restaurant.phone
                else _("Please try another date."))
        elif is_today:
            problem = _("No more free tables for %(num)d today. Please try another date.",
                        num=party)
        else:
            problem = _("Sorry, we are fully booked for %(num)d on %(day)s. Please try another "
                        "date or party size.", num=party, day=day_month(day))
    return {"times": times, "problem": problem, "full": full}


def _online_closed_today(schedule, day: dt.date, party: int, now: dt.datetime) -> bool:
    """True when today still has times to come that only the lead time keeps from being
    booked online (the restaurant may be empty: the guest should call, not give up)."""
    return (not slotlib.online_slots(schedule, day, party, now)
            and any(slot.starts_at > now for slot in slotlib.candidate_slots(schedule, day, party)))


def _availability_form(schedule, now: dt.datetime, default_day: dt.date | None,
                       default_party: int) -> AvailabilityForm:
    """The date/party choice from the query string, or sensible defaults on first visit."""
    args = request.args
    if "date" in args or "party_size" in args:
        form = AvailabilityForm(args, meta={"csrf": False})
        form.validate()
        return form
    form = AvailabilityForm(formdata=None, meta={"csrf": False})
    form.date.data = default_day
    form.party_size.data = default_party
    return form


def first_bookable_day(schedule, dates, now: dt.datetime) -> dt.date | None:
    """The first open date that still has a time to offer (late tonight: tomorrow).
    Only the schedule is consulted, no queries; a full day then says so."""
    days = [dt.date.fromisoformat(choice.value) for choice in dates]
    for day in days[:14]:
        if slotlib.online_slots(schedule, day, DEFAULT_PARTY, now):
            return day
    return days[0] if days else None


def _dropdowns(schedule, dates: list[DateChoice], day: dt.date | None,
               party: int | None) -> tuple[list[DateChoice], list[int]]:
    """The dates and party sizes to offer. They say what the message is about, even a
    date or party that cannot be booked online (a past or closed date, a party above
    the online limit): that one is added, marked."""
    if day is not None and dates and day.isoformat() not in {d.value for d in dates}:
        dates = sorted([*dates, DateChoice(day.isoformat(), _("%(day)s (not bookable)",
                                                                day=day_short_year(day)),
                                           month_year(day))],
                       key=lambda choice: choice.value)
    parties = party_choices(schedule)
    if party is not None and party not in parties:
        parties = sorted([*parties, party])
    return dates, parties


def _time_notice(time: str | None, times) -> str | None:
    """The guest's chosen time (kept across a new date or party) is not offered now."""
    offered = {t.value for group in times for t in group.times}
    if time and offered and time not in offered:
        return _("%(time)s is not free on this day for this party. Please pick another time.",
                 time=time)
    return None


def _asked_time() -> str:
    """The time chosen before the date or party changed (htmx sends it along), or ""."""
    asked = request.args.get("time", "")
    return asked if TIME_PATTERN.match(asked) else ""


def _booking_context(restaurant: Restaurant, *, availability: AvailabilityForm | None = None,
                     booking: BookingForm | None = None, alternatives=None, later=None,
                     notice: str | None = None, now=None, schedule=None,
                     holding: bool = True, waitlist: bool = True) -> dict:
    """``holding``: the page places holds (the embed, which has no session, does not);
    ``waitlist``: the times area links to the waitlist (the embed's does not)."""
    now = now or utcnow()
    schedule = schedule or load_schedule(db.session, restaurant)
    # The htmx fragment of a GET shows only the times: skip the date picker (a label per
    # open day up to the horizon) when the request names its date.
    fragment = _wants_fragment() and request.method == "GET"
    if availability is None and fragment and "date" in request.args:
        availability = _availability_form(schedule, now, None, DEFAULT_PARTY)
    dates = [] if fragment and availability is not None else date_choices(schedule, now)
    if availability is None:
        availability = _availability_form(schedule, now, first_bookable_day(schedule, dates, now),
                                          DEFAULT_PARTY)
    holding = holding and restaurant.hold_minutes > 0
    state = _availability(restaurant, schedule, availability, now,
                          holder=_holder_hash() if holding else "")
    if booking is None:
        booking = BookingForm(formdata=None)
        booking.time.data = _asked_time()
    if notice is None and not alternatives and not later:
        notice = _time_notice(booking.time.data, state["times"])
    day, party = availability.date.data, availability.party_size.data
    dates, parties = _dropdowns(schedule, dates, day, party)
    slug = restaurant.slug
    return dict(restaurant=restaurant, schedule=schedule, dates=dates, months=months(dates),
                parties=parties, availability=availability, booking=booking,
                times=state["times"], problem=state["problem"], alternatives=alternatives or [],
                later=later or [], notice=notice, mode="book",
                date_placeholder=day is None, party_placeholder=party is None,
                # Where the one form goes: the write, "Show free times" without
                # JavaScript (writes nothing), and the page whose GET shows times.
                action=url_for("public.book", slug=slug),
                show_url=url_for("public.show_times", slug=slug),
                times_url=url_for("public.restaurant_page", slug=slug),
                # With JavaScript, picking a time posts here (the hold status shows).
                hold_url=url_for("public.hold", slug=slug) if holding else None,
                hold_note=_hold_note(restaurant, schedule, now)
                if holding and not fragment else None,
                waitlist_url=_waitlist_url(restaurant, availability, state, booking)
                if waitlist else None,
                waitlist_full=state["full"])


def _waitlist_url(restaurant: Restaurant, availability: AvailabilityForm, state: dict,
                  booking: BookingForm) -> str | None:
    """"Join the waitlist" for the date and party shown (with the time picked, if any):
    when they are full, and below the free times (none may suit the guest); not for a
    date or party the guest cannot book online at all."""
    day, party = availability.date.data, availability.party_size.data
    if availability.errors or day is None or party is None:
        return None
    if not (state["full"] or state["times"]):
        return None
    time = booking.time.data if TIME_PATTERN.match(booking.time.data or "") else None
    return url_for("public.join_waitlist", slug=restaurant.slug, date=day.isoformat(),
                   party_size=party, time=time)


def _render_booking(restaurant: Restaurant, status: int = 200, **options):
    """The booking page; for htmx the times area (a GET) or the booking form (a POST)."""
    context = _booking_context(restaurant, **options)
    fragment = ("partials/public_book_times.html" if request.method == "GET"
                else "partials/public_book_form.html")
    return _render("public/restaurant.html", fragment, status, **context)


@bp.get("/r/<slug>")
@replica_reads
def restaurant_page(slug: str):
    restaurant = _restaurant(slug)
    context = _booking_context(restaurant)
    status = 422 if context["availability"].errors else 200
    return _render("public/restaurant.html", "partials/public_book_times.html", status,
                   **context)


def _picked(form) -> tuple[str, str] | None:
    """An alternative on another day ("2030-06-13T19:00") as (date, time), or None."""
    date, _, time = (form.get("pick") or "").partition("T")
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        return None
    return (date, time) if len(date) == 10 and TIME_PATTERN.match(time) else None


@bp.post("/r/<slug>")
def show_times(slug: str):
    """Without JavaScript, "Show free times" (or an alternative on another day) posts the
    whole form here: the times for the new choice, with everything the guest typed kept.
    Nothing is written."""
    restaurant = _restaurant(slug)
    booking = BookingForm()  # what was typed; not validated (the guest is not done)
    formdata = request.form.copy()
    picked = _picked(request.form)
    if picked:
        formdata["date"], booking.time.data = picked
    availability = AvailabilityForm(formdata, meta={"csrf": False})
    availability.validate()
    return _render_booking(restaurant, 422 if availability.errors else 200,
                           availability=availability, booking=booking)


def _stale_choice(form, schedule, button: str | None = None) -> str | None:
    """Why a booking must not go through as posted: the date or party in the dropdowns
    differs from the one the times were shown for (changed without JavaScript and without
    "Show free times"): a time picked for one date must never be booked on another."""
    shown_date, shown_party = form.get("shown_date"), form.get("shown_party")
    if shown_date is None and shown_party is None:
        return None  # not posted by the page (scripts, older pages): the service decides
    if (shown_date, shown_party) == (form.get("date"), form.get("party_size")):
        return None
    return _("You changed the date or the number of guests: here are the free times for your "
             "new choice. Please pick a time and press “%(button)s” again.",
             button=button or _("Confirm booking"))


@bp.post("/r/<slug>/book")
@public_write_limit
def book(slug: str):
    restaurant = _restaurant(slug)
    now = utcnow()
    setup = restaurant_setup(db.session, restaurant)
    schedule = setup.schedule
    form = BookingForm()
    availability = AvailabilityForm(request.form, meta={"csrf": False})
    availability.validate()

    def again(status: int, **options):
        return _render_booking(restaurant, status, availability=availability, booking=form,
                               now=now, schedule=schedule, **options)

    stale = _stale_choice(request.form, schedule)
    if stale:
        return again(409, notice=stale)
    if not form.validate():
        return again(400 if "csrf_token" in form.errors else 422)
    wall = form.time.wall_time
    assert wall is not None  # the form validated: the time is HH:MM
    starts_at = resolve_start(schedule, form.date.data, wall, form.party_size.data,
                              form.time.utc_offset)
    write = writes.start(restaurant, "guest", now=now)
    try:
        result = service.book(
            db.session, restaurant, starts_at=starts_at, party_size=form.party_size.data,
            guest=service.GuestDetails(form.name.data, form.email.data, form.phone.data,
                                       form.notes.data or ""),
            source="online", actor="guest", now=now, policy=write.policy,
            after_write=write.after_write, schedule=schedule, tables=setup.tables,
            language=language(), hold=_hold_token(restaurant) or None)
    except SlotTaken as error:
        _apply_error(form, error)
        same_day, later = _split_alternatives(error.alternatives, form.date.data, schedule)
        return again(error.http_status, alternatives=same_day, later=later)
    except BookingError as error:
        _apply_error(form, error)
        return again(error.http_status)
    write.committed()
    if _hold_token(restaurant):
        _keep_hold(restaurant, None)  # converted by the booking
    # The writer issued the token the e-mail carries (see MailWriter); it is the one that works.
    token = write.manage_token or result.manage_token
    flash(_("Your table is booked. We have sent a confirmation e-mail with this private link."),
          "booked")
    return _redirect(url_for("public.manage", slug=slug, token=token))


@bp.post("/r/<slug>/hold")
@hold_limit
def hold(slug: str):
    """The guest picked a time (htmx, on the radio's change): hold its table while they
    type. Answers the hold status; when the time was just taken, the whole form with the
    nearest free times, as a refused booking does. Without JavaScript nothing posts here."""
    restaurant = _restaurant(slug)
    now = utcnow()
    schedule = restaurant_setup(db.session, restaurant).schedule
    form = HoldForm()
    if _stale_choice(request.form, schedule) or not form.validate():
        return current_app.make_response(("", 204))  # the times are changing: no hold yet
    wall = form.time.wall_time
    assert wall is not None  # the form validated: the time is HH:MM
    starts_at = resolve_start(schedule, form.date.data, wall, form.party_size.data,
                              form.time.utc_offset)
    try:
        placed = holds.place(db.session, restaurant, starts_at=starts_at,
                             party_size=form.party_size.data, holder=_holder(create=True),
                             now=now)
    except SlotTaken as error:
        # The guest moved on from their earlier pick (the engine keeps it on a refusal).
        earlier = _hold_token(restaurant)
        if earlier:
            holds.release(db.session, restaurant, earlier)
            _keep_hold(restaurant, None)
        booking = BookingForm()  # what was typed, kept (not validated: not done yet)
        availability = AvailabilityForm(request.form, meta={"csrf": False})
        availability.validate()
        _apply_error(booking, error)
        same_day, later = _split_alternatives(error.alternatives, form.date.data, schedule)
        response = _render_booking(restaurant, error.http_status, availability=availability,
                                   booking=booking, alternatives=same_day, later=later,
                                   now=now, schedule=schedule)
        response.headers["HX-Retarget"] = "#booking"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    except BookingError as error:
        return render_template("partials/public_book_hold.html", hold_note=None,
                               hold_problem=guest_error(error))
    _keep_hold(restaurant, placed.token)
    return render_template("partials/public_book_hold.html", hold_problem=None,
                           hold_note=_("We are holding a table for you until %(time)s.",
                                       time=clock_time(placed.expires_at.astimezone(
                                           schedule.zone))))


def _split_alternatives(moments, day: dt.date, schedule):
    """The alternatives on the asked date (radio buttons) and on other days (buttons that
    show that day with the time picked: the form books one date at a time)."""
    same_day, later = [], []
    for moment in moments:
        choice = time_choice(moment, schedule)
        other = slotlib.service_date_of(schedule, moment)
        if other == day:
            same_day.append(choice)
        else:
            later.append(TimeChoice(f"{other.isoformat()}T{choice.value}",
                                    f"{day_short(other)}, {choice.label}", moment))
    return same_day, later


# --------------------------------------------------------------------------- manage page


def _changeable(reservation: Reservation, now: dt.datetime,
                restaurant: Restaurant) -> str | None:
    """Why a guest can no longer change the booking, or None (past the restaurant's
    cut-off: call, and the number to call)."""
    if reservation.status == "cancelled":
        return _("This booking is cancelled and can no longer be changed.")
    if reservation.status != "booked" or reservation.starts_at <= now:
        return _("This booking is in the past and can no longer be changed or cancelled.")
    hours = restaurant.cancel_cutoff_hours
    if rules.cutoff_passed(reservation, now, hours):
        if restaurant.phone:
            return ngettext("Online changes and cancellations close %(num)s hour before the "
                            "booking; to change or cancel it, please call the restaurant on "
                            "%(phone)s.",
                            "Online changes and cancellations close %(num)s hours before the "
                            "booking; to change or cancel it, please call the restaurant on "
                            "%(phone)s.", hours, phone=restaurant.phone)
        return ngettext("Online changes and cancellations close %(num)s hour before the "
                        "booking; to change or cancel it, please call the restaurant.",
                        "Online changes and cancellations close %(num)s hours before the "
                        "booking; to change or cancel it, please call the restaurant.", hours)
    return None


def _manage_context(restaurant: Restaurant, reservation: Reservation, token: str, *,
                    availability: AvailabilityForm | None = None,
                    change: ChangeBookingForm | None = None, alternatives=None, later=None,
                    notice: str | None = None, now: dt.datetime | None = None) -> dict:
    """The manage page: the booking, and the change form, which is the booking page's
    form without the guest's details (same partials, same stale-date rule)."""
    now = now or utcnow()
    schedule = load_schedule(db.session, restaurant)
    locked = _changeable(reservation, now, restaurant)
    fragment = _wants_fragment() and request.method == "GET"
    dates = [] if fragment else date_choices(schedule, now)  # the times fragment has none
    current_day = slotlib.service_date_of(schedule, reservation.starts_at)
    if availability is None:
        availability = _availability_form(schedule, now, current_day, reservation.party_size)
    state = ({"times": [], "problem": None} if locked else
             _availability(restaurant, schedule, availability, now, ignore=reservation.id))
    if change is None:
        change = ChangeBookingForm(formdata=None)
        change.time.data = _asked_time() or (
            time_choice(reservation.starts_at, schedule).value
            if availability.date.data == current_day else "")
    if notice is None and not alternatives and not later:
        notice = _time_notice(change.time.data, state["times"])
    day, party = availability.date.data, availability.party_size.data
    dates, parties = _dropdowns(schedule, dates, day, party)
    slug = restaurant.slug
    return dict(restaurant=restaurant, reservation=reservation, token=token, schedule=schedule,
                locked=locked, dates=dates, months=months(dates), parties=parties,
                availability=availability, booking=change, times=state["times"],
                problem=state["problem"], alternatives=alternatives or [], later=later or [],
                notice=notice, mode="change",
                date_placeholder=day is None, party_placeholder=party is None,
                action=url_for("public.change", slug=slug, token=token),
                show_url=url_for("public.manage_times", slug=slug, token=token),
                times_url=url_for("public.manage", slug=slug, token=token),
                manage_url=_manage_link(slug, token),
                when=time_choice(reservation.starts_at, schedule),
                facts=booking_facts(restaurant, reservation, schedule))


def _render_manage(restaurant: Restaurant, reservation: Reservation, token: str,
                   status: int = 200, **options):
    """The manage page; for htmx the times area (a GET) or the change form (a POST)."""
    context = _manage_context(restaurant, reservation, token, **options)
    fragment = ("partials/public_book_times.html" if request.method == "GET"
                else "partials/public_book_form.html")
    return _private(_render("public/manage.html", fragment, status, **context))


@bp.get("/r/<slug>/b/<token>")
def manage(slug: str, token: str):
    restaurant = _restaurant(slug)
    reservation = _reservation(restaurant, token)
    context = _manage_context(restaurant, reservation, token)
    status = 422 if context["availability"].errors else 200
    return _private(_render("public/manage.html", "partials/public_book_times.html", status,
                            **context))


@bp.post("/r/<slug>/b/<token>")
def manage_times(slug: str, token: str):
    """Without JavaScript, the change form's "Show free times" (or an alternative on
    another day): the times for the new choice, the picked time kept. Nothing is written."""
    restaurant = _restaurant(slug)
    reservation = _reservation(restaurant, token)
    change = ChangeBookingForm()  # the time picked; not validated (nothing is written)
    formdata = request.form.copy()
    picked = _picked(request.form)
    if picked:
        formdata["date"], change.time.data = picked
    availability = AvailabilityForm(formdata, meta={"csrf": False})
    availability.validate()
    return _render_manage(restaurant, reservation, token, 422 if availability.errors else 200,
                          availability=availability, change=change)


@bp.get("/r/<slug>/b/<token>/booking.ics")
def calendar(slug: str, token: str):
    """"Add to calendar": the booking as an .ics file, the same entry the e-mails attach
    (one UID per reservation, so a calendar that has it from an e-mail updates it)."""
    restaurant = _restaurant(slug)
    reservation = _reservation(restaurant, token)
    kind = "cancellation" if reservation.status == "cancelled" else "confirmation"
    ics = calendar_entry(restaurant, reservation, kind, _manage_link(slug, token),
                         calendar_host())
    response = current_app.make_response((ics, 200))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-booking.ics"'
    return _private(response)


@bp.post("/r/<slug>/b/<token>/change")
@public_write_limit
def change(slug: str, token: str):
    restaurant = _restaurant(slug)
    reservation = _reservation(restaurant, token)
    now = utcnow()
    schedule = load_schedule(db.session, restaurant)
    form = ChangeBookingForm()
    availability = AvailabilityForm(request.form, meta={"csrf": False})
    availability.validate()

    def again(status: int, **options):
        return _render_manage(restaurant, reservation, token, status, availability=availability,
                              change=form, now=now, **options)

    stale = _stale_choice(request.form, schedule, _("Change my booking"))
    if stale and not _changeable(reservation, now, restaurant):
        return again(409, notice=stale)
    if not form.validate():
        return again(400 if "csrf_token" in form.errors else 422)
    day, wall, party_size = form.date.data, form.time.wall_time, form.party_size.data
    assert day is not None and wall is not None and party_size is not None  # validated
    starts_at = resolve_start(schedule, day, wall, party_size, form.time.utc_offset)
    if _changeable(reservation, now, restaurant):
        return again(409)  # the page says why (cancelled or past); the service would refuse too
    if (starts_at, form.party_size.data) == (reservation.starts_at, reservation.party_size):
        flash(_("Your booking stays as it was: you picked the same time and party size."),
              "info")
        return _redirect(url_for("public.manage", slug=slug, token=token))
    write = writes.start(restaurant, "guest", manage_token=token, now=now)
    try:
        service.change(db.session, restaurant, reservation.id, starts_at=starts_at,
                       party_size=form.party_size.data, online=True, actor="guest", now=now,
                       policy=write.policy, after_write=write.after_write,
                       language=language())
    except SlotTaken as error:
        _apply_error(form, error)
        same_day, later = _split_alternatives(error.alternatives, day, schedule)
        return again(error.http_status, alternatives=same_day, later=later)
    except BookingError as error:
        _apply_error(form, error)  # the service rolled back: the page re-reads the booking
        return again(error.http_status)
    write.committed()
    flash(_("Your booking is changed. We have sent you an e-mail with the new details."),
          "success")
    return _redirect(url_for("public.manage", slug=slug, token=token))


@bp.route("/r/<slug>/b/<token>/cancel", methods=["GET", "POST"])
@public_write_limit
def cancel(slug: str, token: str):
    """GET asks "are you sure?"; POST with the box ticked cancels."""
    restaurant = _restaurant(slug)
    reservation = _reservation(restaurant, token)
    now = utcnow()
    form = CancelBookingForm()
    locked = _changeable(reservation, now, restaurant)
    status = 200
    if request.method == "POST" and not locked:
        if form.validate():
            write = writes.start(restaurant, "guest", manage_token=token, now=now)
            try:
                service.cancel(db.session, restaurant, reservation.id, online=True,
                               actor="guest", now=now, policy=write.policy,
                               after_write=write.after_write, language=language())
            except BookingError as error:
                form.form_errors.append(guest_error(error))
                status = error.http_status
            else:
                write.committed()
                flash(_("Your booking is cancelled. We have sent you a confirmation e-mail."),
                      "success")
                return _redirect(url_for("public.manage", slug=slug, token=token))
        else:
            status = 400 if "csrf_token" in form.errors else 422
    elif request.method == "POST":
        status = 409
    schedule = load_schedule(db.session, restaurant)
    page = render_template("public/cancel.html", restaurant=restaurant, reservation=reservation,
                           token=token, form=form, locked=locked,
                           when=time_choice(reservation.starts_at, schedule),
                           facts=booking_facts(restaurant, reservation, schedule))
    return _private(current_app.make_response((page, status)))
