"""The guests' language: Flask-Babel's set-up, which locale a request gets, and the date
and time formats the guest pages and e-mails share.

The guest pages (the ``public`` blueprint) speak all of ``LANGUAGES``; the owner dashboard
and the account pages (the ``owner`` and ``auth`` blueprints) English and German
(``DASHBOARD_LANGUAGES``); the API (problem+json included) and the worker stay English.
An owner's language is ``?lang=`` (the "English / Deutsch" menu in the dashboard's header
and on the login page), the same ``lang`` cookie, the browser's ``Accept-Language``,
English; a cookie a guest page set to a language the dashboard does not speak is passed
over. A guest's language is, in this order: ``?lang=xx`` (kept
in a cookie, so it sticks from page to page), the cookie, the restaurant's own default
language (``restaurants.default_language``, when the owner set one), the browser's
``Accept-Language`` (best match among ``LANGUAGES``), English. The restaurant is the one
the guest view has just read for the page (:func:`note_page_restaurant`: no query of
its own); only a page answered before its view ran (a CSRF or rate-limit refusal) looks
it up by the address's slug.

A booking records the language it was made in (``reservations.language``, the rule in
``booking/rules.booking_language``), and every e-mail about it is written in that
language, whoever causes it (the outbox's writer and the reminder worker use
``force_locale``).

English is the source language: its texts are the msgids, and its dates keep the
formats the pages had before ("Friday 4 December 2026", "19:30"), so English output is
unchanged. The other languages format with Babel's CLDR data for the locale.

The catalogs are in ``webapp/translations``; their .mo files are build output, compiled
at install (scripts/common.sh) and, should they be missing, at start (``compile_catalogs``).

One catalog per language (the ``messages`` domain) holds the guest side's and the
dashboard's messages alike, rather than a second gettext domain for the dashboard:
Flask-Babel merges several domains into one set of translations where the last one wins,
so a message in both ("Cancel", "Date") would take the dashboard's German on the guest
pages too; one catalog keeps one translation per message (``pgettext`` where the two
sides need different words), one ``pybabel extract``/``update``/``compile`` and the e-mails'
fast :func:`gettext` unchanged. French, Italian and Spanish carry the dashboard's
messages untranslated (empty: English, and the dashboard never picks those languages).
tests/public/test_i18n_catalogs.py holds each message to the languages of the files it
comes from, by source location: a guest page's message (templates/public, the guest
views, the e-mails, base.html, the error page) translated in all four, a dashboard-only
message (templates/owner, templates/auth, the owner and auth views) in German.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import flask_babel
from babel import dates, support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, g, has_request_context, request, url_for
from flask.globals import _cv_app
from flask_babel import Babel, format_time, get_locale, refresh
from flask_babel.speaklater import LazyString
from markupsafe import escape
from werkzeug.exceptions import HTTPException

# English first: the source language and the fallback.
LANGUAGES = ("en", "de", "fr", "it", "es")
# Each language named in itself, for the menu (a guest who does not read the page's
# language still finds their own).
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "it": "Italiano",
                  "es": "Español"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).parent / "translations"

babel = Babel()


def _asked() -> str | None:
    """A supported ``?lang=`` of this request, or None."""
    asked = request.args.get("lang", "").strip().lower()
    return asked if asked in LANGUAGES else None


def _is_guest_request() -> bool:
    # The guest pages; the site's front page is the owners' way in and stays English.
    return request.blueprint == "public" and request.endpoint != "public.home"


# The dashboard's and the account pages' languages (English first).
DASHBOARD_LANGUAGES = ("en", "de")


def is_dashboard_request() -> bool:
    """The owner dashboard and the account pages (login, sign-up, reset, ...)."""
    return has_request_context() and request.blueprint in ("owner", "auth")


def dashboard_locale() -> str:
    """The dashboard's language: ``?lang=``, the cookie, ``Accept-Language``, English;
    each only when it is English or German."""
    for choice in (_asked(), request.cookies.get(COOKIE, "")):
        if choice in DASHBOARD_LANGUAGES:
            return choice
    return request.accept_languages.best_match(DASHBOARD_LANGUAGES, default="en") or "en"


# g's key for the default language of the restaurant whose guest page this is ("": none).
_PAGE_LANGUAGE = "guest_page_language"


def note_page_restaurant(restaurant: object | None) -> None:
    """The guest view has read the page's restaurant (None: there is none at the
    address): its default language takes part in choosing the page's language, at no
    query. A restaurant with a default language has the locale chosen again, should
    something have asked for it before the view read the restaurant."""
    default = getattr(restaurant, "default_language", "") or ""
    setattr(g, _PAGE_LANGUAGE, default if default in LANGUAGES else "")
    if default:
        refresh()


def _page_restaurant_language() -> str:
    """The page's restaurant's default language ("": none, or not a restaurant's page):
    as its view noted it; before the view ran (an error page), read by the slug."""
    noted = g.get(_PAGE_LANGUAGE)
    if noted is not None:
        return str(noted)
    slug = (request.view_args or {}).get("slug")
    default = ""
    if isinstance(slug, str) and slug:
        from sqlalchemy.exc import SQLAlchemyError

        from .booking.setup import restaurant_by_slug
        from .extensions import db

        try:
            restaurant = restaurant_by_slug(db.session, slug)
        except SQLAlchemyError:  # the database is down: this is its error page
            restaurant = None
        default = restaurant.default_language if restaurant is not None else ""
    default = default if default in LANGUAGES else ""
    setattr(g, _PAGE_LANGUAGE, default)
    return default


def guest_locale() -> str:
    """A guest page's language: ``?lang=``, the cookie, the restaurant's default language,
    the browser's ``Accept-Language``, English."""
    cookie = request.cookies.get(COOKIE, "")
    return (_asked() or (cookie if cookie in LANGUAGES else None)
            or _page_restaurant_language()
            or request.accept_languages.best_match(LANGUAGES, default="en") or "en")


def select_locale() -> str:
    if not has_request_context():
        return "en"  # the CLI and the worker (an e-mail forces its booking's language)
    if _is_guest_request():
        return guest_locale()
    if is_dashboard_request():
        return dashboard_locale()
    return "en"  # the API, the front page


def language() -> str:
    """The current language code ("en" outside a request).

    Once Flask-Babel has chosen the request's locale (or ``force_locale`` set one), it
    is read straight from the app context's ``g``: one context-variable lookup instead
    of ``get_locale``'s two LocalProxy resolutions and a ``hasattr`` (12.9 -> 0.17 us a
    call on the shared 2-core machine). A booking asks ~25 times (each message of its
    e-mail and reminder, each time written), a guest page once per time it lists."""
    context = _cv_app.get(None)
    if context is not None:
        babel = context.g.__dict__.get("_flask_babel")  # flask_babel's per-context state
        chosen = getattr(babel, "babel_locale", None)
        if chosen is not None:
            return str(chosen.language)
    locale = get_locale()  # not chosen yet (or no app context): Flask-Babel decides
    return locale.language if locale is not None else "en"


def _remember(response: Response) -> Response:
    """``?lang=`` on a guest or dashboard page sets the cookie; those pages vary by
    language."""
    if has_request_context() and (_is_guest_request() or is_dashboard_request()):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        asked = _asked()
        if is_dashboard_request() and asked not in DASHBOARD_LANGUAGES:
            asked = None
        if asked and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax",
                                httponly=True,
                                secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _here_for_get() -> str:
    """This page as a GET address, for the language links: a POST's answer (a refused
    booking) links to its page instead."""
    if request.method == "GET":
        return request.path
    if is_dashboard_request():  # a refused form answers at its own (GET) address, mostly
        adapter = current_app.create_url_adapter(request)
        try:
            if adapter is None:
                raise LookupError
            adapter.match(request.path, method="GET")
        except (HTTPException, LookupError):
            return url_for("owner.index")
        return request.path
    view_args = request.view_args or {}
    slug, token = view_args.get("slug"), view_args.get("token")
    if slug and token:
        return url_for("public.manage", slug=slug, token=token)
    if slug:
        return url_for("public.restaurant_page", slug=slug)
    return url_for("public.home")


def language_links() -> list[dict[str, object]]:
    """The language menu: each language with the current page's address in it."""
    path = _here_for_get()
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] \
        if request.method == "GET" else []
    current = language()
    codes = DASHBOARD_LANGUAGES if is_dashboard_request() else LANGUAGES
    return [{"code": code, "name": LANGUAGE_NAMES[code], "current": code == current,
             "url": path + "?" + urlencode([*args, ("lang", code)])} for code in codes]


# --------------------------------------------------------------------------- formats


def _skeleton(skeleton: str, day: dt.date, locale: str, full_weekday: bool = False) -> str:
    """``day`` in the locale's pattern for a CLDR skeleton ("MMMEd": weekday, day, short
    month, in the locale's order and punctuation). Flask-Babel has no format_skeleton;
    Babel's own takes the locale. CLDR's skeletons carry short weekdays only: with
    ``full_weekday`` the pattern's weekday is widened to the full name ("Freitag")."""
    if not full_weekday:
        return dates.format_skeleton(skeleton, day, locale=locale)
    formats = dates.Locale.parse(locale).datetime_skeletons
    key = dates.match_skeleton(skeleton, formats) if formats else None
    pattern = str(formats[key]) if key else str(dates.get_date_format("full", locale))
    return dates.format_date(day, re.sub(r"E+|c+", "EEEE", pattern), locale=locale)


# Each way the pages and e-mails write a date: English as the pages always had it (a
# strftime pattern, "{d}" the day without a leading zero), the other languages by CLDR.
_DAY_STYLES: dict[str, tuple[str, Callable[[dt.date, str], str]]] = {
    # "Friday 4 December 2026"; "Freitag, 4. Dezember 2026"
    "long": ("%A {d} %B %Y", lambda day, loc: dates.format_date(day, "full", locale=loc)),
    # "Friday 4 December"; "Freitag, 4. Dezember"
    "month": ("%A {d} %B", lambda day, loc: _skeleton("MMMMEd", day, loc, full_weekday=True)),
    # "Fri 4 Dec"; "Fr., 4. Dez."
    "short": ("%a {d} %b", lambda day, loc: _skeleton("MMMEd", day, loc)),
    # "Fri 4 Dec 2026"
    "short_year": ("%a {d} %b %Y", lambda day, loc: _skeleton("yMMMEd", day, loc)),
    # "4 December 2026" (no weekday)
    "numeric": ("{d} %B %Y", lambda day, loc: dates.format_date(day, "long", locale=loc)),
    # "December 2026"; "Dezember 2026"
    "month_year": ("%B %Y", lambda day, loc: _skeleton("yMMMM", day, loc)),
}


@functools.lru_cache(maxsize=16384)
def _day_text(style: str, code: str, day: dt.date) -> str:
    """A date in one of _DAY_STYLES, kept per process: the guest page lists every open
    day up to the horizon (two years: 730 labels), and each costs several microseconds
    to format, English included, where a lookup costs a fraction of one."""
    english, other = _DAY_STYLES[style]
    if code == "en":
        return day.strftime(english.replace("{d}", str(day.day)))
    return other(day, code)


def format_day(style: str, day: dt.date, code: str | None = None) -> str:
    """``day`` in a _DAY_STYLES style, in ``code`` (default: the current language; a
    caller writing many dates looks the language up once and passes it)."""
    return _day_text(style, code or language(), day)


def day_long(day: dt.date, code: str | None = None) -> str:
    return format_day("long", day, code)


def day_month(day: dt.date, code: str | None = None) -> str:
    return format_day("month", day, code)


def day_short(day: dt.date, code: str | None = None) -> str:
    return format_day("short", day, code)


def day_short_year(day: dt.date, code: str | None = None) -> str:
    return format_day("short_year", day, code)


def day_numeric(day: dt.date, code: str | None = None) -> str:
    return format_day("numeric", day, code)


def month_year(day: dt.date, code: str | None = None) -> str:
    return format_day("month_year", day, code)


def clock_time(moment: dt.datetime | dt.time) -> str:
    """A wall-clock time as the locale writes it (already in the restaurant's zone):
    "19:30" in English as before; CLDR's short time for the others (24 h in all four)."""
    if language() == "en":
        return f"{moment:%H:%M}"
    value = moment.time() if isinstance(moment, dt.datetime) else moment
    # A naive time: Babel would otherwise convert it from UTC to its default zone.
    return format_time(value.replace(tzinfo=None), "short", rebase=False)


@functools.cache
def _catalog(code: str) -> support.NullTranslations:
    return support.Translations.load(str(TRANSLATIONS), [code])


def gettext(string: str, **variables: object) -> str:
    """Flask-Babel's ``gettext`` for text written on the booking path (the e-mails), at a
    fraction of its cost: one lookup of the current language and the catalog loaded
    once per process, instead of Flask-Babel's several context lookups per message.
    A booking's confirmation marks ~15 messages (it translated ~57 before compose asked
    for its own kind's texts only), and through Flask-Babel they cost the API's booking a
    sixth of its throughput (bench/cost.py's profile). English is the
    message ids themselves. Same result, ``force_locale`` included."""
    code = language()
    text = string if code == "en" else _catalog(code).gettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: object) -> str:
    """Flask-Babel's ``ngettext`` as :func:`gettext` does it (``num`` is a variable)."""
    code = language()
    text = ((singular if num == 1 else plural) if code == "en"
            else _catalog(code).ngettext(singular, plural, num))
    return text % {"num": num, **variables}


class EscapedLazyString(LazyString):
    """Flask-Babel's lazy text, escaped when a template prints it: Flask-Babel's own
    ``__html__`` hands the text over as markup, so "guest's" came out as it is rather than
    "guest&#39;s" (as a plain string does), and a value formatted into it unescaped."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def N_(text: str) -> str:
    """Marks a message for the catalogs (pybabel's default keyword) without translating
    it: for a table of messages translated where they are used."""
    return text


def lazy_gettext(string: str, **variables: object) -> EscapedLazyString:
    """Flask-Babel's ``lazy_gettext``, escaped like any text (the dashboard's forms)."""
    return EscapedLazyString(flask_babel.gettext, string, **variables)


def translations_of(msgid: str) -> list[str]:
    """``msgid`` in every language (English first); no request or app needed."""
    return [msgid, *(_catalog(code).gettext(msgid) for code in LANGUAGES[1:])]


# --------------------------------------------------------------------------- set-up


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older (what ``pybabel compile``
    does, through Babel's API so the install step needs no extra command). Fuzzy
    entries are left out, as pybabel does."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # Written aside and renamed: gunicorn's workers may start side by side.
        with tempfile.NamedTemporaryFile("wb", dir=mo_path.parent, delete=False) as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        os.replace(mo_file.name, mo_path)
        written.append(mo_path)
    return written


def init_app(app: Flask) -> None:
    # A fresh checkout run without the install step (flask run, an IDE) still speaks
    # every language; normally common.sh compiled them already and this finds nothing.
    with contextlib.suppress(OSError):  # read-only: compiled when it was installed
        compile_catalogs()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel keeps the chosen locale on ``g``, i.e. the app context, which a request
    # shares with an app context already pushed (a test's, a CLI command's): each request
    # chooses afresh, and leaves no guest's language behind for what runs after it.
    app.before_request(refresh)
    app.teardown_request(lambda _error: refresh())
    app.after_request(_remember)

    # Globals, not a context processor: the macros imported by the templates see them too.
    app.jinja_env.globals.update(language=language, language_links=language_links,
                                 is_dashboard_request=is_dashboard_request,
                                 day_long=day_long, day_short=day_short, day_month=day_month,
                                 clock_time=clock_time)
