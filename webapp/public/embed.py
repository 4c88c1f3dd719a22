"""The booking flow for an <iframe> on the restaurant's own website: /r/<slug>/embed.

The same steps, helpers and partials as the booking page (views.py), under a layout
without the site's header and footer. What differs is the framing and the CSRF check:

* Framing. Only these pages (and their htmx fragments, the booking POST and the
  confirmation it redirects to) may be framed, and only by the origins the owner lists
  in the settings (``restaurants.embed_origins``) plus our own (PUBLIC_BASE_URL's
  origin: the settings page previews the embed). Their Content-Security-Policy is the
  site's policy with ``frame-ancestors`` set to that list and no X-Frame-Options
  (observability._security_headers adds DENY only where frame-ancestors is 'none').
  An empty list: the page frames nowhere else and says embedding is switched off.
* CSRF. Inside a cross-site iframe the browser does not send our SameSite=Lax session
  cookie on the POST, so the session-bound CSRF token (Flask-WTF) would always fail.
  Rather than loosening the session cookie to SameSite=None for everyone, the embed
  uses no session at all: its forms carry a token signed with SECRET_KEY for this
  restaurant and a few hours (itsdangerous), checked on the booking POST. A guest's
  booking carries no ambient authority (no login, no cookie), so what CSRF must stop
  here is a forged form posted with a guest's credentials, and there are none: the
  signed token still proves the form came from our page, recently, for this restaurant.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .. import writes
from ..booking import service
from ..booking.embed import stored_origins
from ..booking.errors import BookingError, SlotTaken
from ..booking.setup import restaurant_setup
from ..extensions import csrf, db
from ..i18n import LANGUAGES, language
from ..models import Restaurant
from ..notifications.messages import booking_facts
from ..observability import CONTENT_SECURITY_POLICY
from ..replica import replica_reads
from .choices import resolve_start, time_choice
from .forms import AvailabilityForm, BookingForm
from .views import (
    _apply_error,
    _asked_time,
    _booking_context,
    _picked,
    _private,
    _redirect,
    _reservation,
    _restaurant,
    _split_alternatives,
    _stale_choice,
    _wants_fragment,
    bp,
    public_write_limit,
    utcnow,
)

# How long an embed form may stay open before its booking is refused (the guest reloads).
TOKEN_MAX_AGE = dt.timedelta(hours=12)


def own_origin() -> str:
    base = urlsplit(str(current_app.config["PUBLIC_BASE_URL"]))
    return f"{base.scheme}://{base.netloc}"


def frame_ancestors(restaurant: Restaurant) -> list[str]:
    """Who may frame this restaurant's embed: us, then the owner's list."""
    ours = own_origin()
    return [ours, *(o for o in stored_origins(restaurant.embed_origins) if o != ours)]


def _policy(restaurant: Restaurant) -> str:
    return CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", "frame-ancestors " + " ".join(frame_ancestors(restaurant)))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="embed-booking-form")


def form_token(restaurant: Restaurant) -> str:
    return _serializer().dumps(restaurant.id)


def token_ok(restaurant: Restaurant, token: str) -> bool:
    try:
        value = _serializer().loads(token, max_age=int(TOKEN_MAX_AGE.total_seconds()))
    except BadSignature:  # SignatureExpired is one too
        return False
    return bool(value == restaurant.id)


def _framed(restaurant: Restaurant, response):
    response.headers["Content-Security-Policy"] = _policy(restaurant)
    response.vary.add("HX-Request")
    return response


def _language_args() -> dict[str, Any]:
    """``?lang=`` again on the embed's own addresses when the page was asked for with it
    (an ``<iframe src=".../embed?lang=fr">``): inside another site's frame the browser
    may not send the language cookie, and the booking records the language it is posted
    in (booking/languages.py)."""
    asked = request.args.get("lang", "")
    return {"lang": asked} if asked in LANGUAGES else {}


def _embed_context(restaurant: Restaurant, **options) -> dict:
    if options.get("booking") is None:
        # Without a session its CSRF field would start one (Flask-WTF makes the token
        # when the form is built): the embed's forms carry form_token instead.
        options["booking"] = BookingForm(formdata=None, meta={"csrf": False})
        options["booking"].time.data = _asked_time()
    # No holds: the hold lives in the session, which the embed does not have.
    context = _booking_context(restaurant, holding=False, waitlist=False, **options)
    slug = restaurant.slug
    token = form_token(restaurant)
    lang = _language_args()
    context.update(
        action=url_for("public.embed_book", slug=slug, **lang),
        show_url=url_for("public.embed_show_times", slug=slug, **lang),
        times_url=url_for("public.embed", slug=slug, **lang),
        # The partials' csrf_token() (and base.html's hx-headers) give the embed's own
        # token, so no session is started inside the iframe (see the module docstring).
        csrf_token=lambda: token,
        embedding_on=bool(stored_origins(restaurant.embed_origins)),
        page_url=url_for("public.restaurant_page", slug=slug, _external=False))
    return context


def _render_embed(restaurant: Restaurant, status: int = 200, **options):
    context = _embed_context(restaurant, **options)
    if _wants_fragment():
        template = ("partials/public_book_times.html" if request.method == "GET"
                    else "partials/public_book_form.html")
    else:
        template = "public/embed.html"
    body = render_template(template, **context)
    return _framed(restaurant, current_app.make_response((body, status)))


@bp.get("/r/<slug>/embed")
@csrf.exempt
@replica_reads
def embed(slug: str):
    restaurant = _restaurant(slug)
    response = _render_embed(restaurant)
    return response


# The forms read the posted form only: given no formdata, Flask-WTF reads a JSON body, and
# these pages are CSRF-exempt, so a JSON list or number reached WTForms and answered 500.
@bp.post("/r/<slug>/embed")
@csrf.exempt  # writes nothing: "Show free times" without JavaScript
def embed_show_times(slug: str):
    restaurant = _restaurant(slug)
    booking = BookingForm(request.form, meta={"csrf": False})
    formdata = request.form.copy()
    picked = _picked(request.form)
    if picked:
        formdata["date"], booking.time.data = picked
    availability = AvailabilityForm(formdata, meta={"csrf": False})
    availability.validate()
    return _render_embed(restaurant, 422 if availability.errors else 200,
                         availability=availability, booking=booking)


@bp.post("/r/<slug>/embed/book")
@csrf.exempt  # checked below with the embed's own token (module docstring)
@public_write_limit
def embed_book(slug: str):
    restaurant = _restaurant(slug)
    now = utcnow()
    setup = restaurant_setup(db.session, restaurant)
    schedule = setup.schedule
    form = BookingForm(request.form, meta={"csrf": False})
    availability = AvailabilityForm(request.form, meta={"csrf": False})
    availability.validate()

    def again(status: int, **options):
        return _render_embed(restaurant, status, availability=availability, booking=form,
                             now=now, schedule=schedule, **options)

    if not stored_origins(restaurant.embed_origins):
        return again(403)  # the page says embedding is off
    if not token_ok(restaurant, request.form.get("csrf_token", "")):
        form.form_errors.append(_("This form was open too long. Please check your choice and "
                                  "press “Confirm booking” again."))
        return again(400)
    stale = _stale_choice(request.form, schedule)
    if stale:
        return again(409, notice=stale)
    if not form.validate():
        return again(422)
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
            language=language())
    except SlotTaken as error:
        _apply_error(form, error)
        same_day, later = _split_alternatives(error.alternatives, form.date.data, schedule)
        return again(error.http_status, alternatives=same_day, later=later)
    except BookingError as error:
        _apply_error(form, error)
        return again(error.http_status)
    write.committed()
    token = write.manage_token or result.manage_token
    return _framed(restaurant, _redirect(url_for("public.embed_booked", slug=slug, token=token,
                                                 **_language_args())))


@bp.get("/r/<slug>/embed/b/<token>")
def embed_booked(slug: str, token: str):
    """The confirmation inside the frame; changing or cancelling opens the guest's own
    page (the private link) in a new tab."""
    restaurant = _restaurant(slug)
    reservation = _reservation(restaurant, token)
    schedule = restaurant_setup(db.session, restaurant).schedule
    body = render_template("public/embed_booked.html", restaurant=restaurant,
                           reservation=reservation, token=token,
                           manage_url=writes.manage_page_url(slug, token),
                           when=time_choice(reservation.starts_at, schedule),
                           facts=booking_facts(restaurant, reservation, schedule),
                           csrf_token=lambda: "")
    return _private(_framed(restaurant, current_app.make_response((body, 200))))
