"""The guests' language: Flask-Babel's set-up, which locale a request gets, and the date
and time formats the guest pages and e-mails share.

Only the guest pages (the ``public`` blueprint) are translated; the owner dashboard, the
API and the worker stay English. A guest's language is, in this order: ``?lang=xx`` (kept
in a cookie, so it sticks from page to page), the cookie, the browser's
``Accept-Language`` (best match among ``LANGUAGES``), English. (A restaurant's own
default language would go between the cookie and the browser; it needs a column.)

English is the source language: its texts are the msgids, and its dates keep the
formats the pages had before ("Friday 4 December 2026", "19:30"), so English output is
unchanged. The other languages format with Babel's CLDR data for the locale.

The catalogs are in ``webapp/translations``; their .mo files are build output, compiled
at install (scripts/common.sh) and, should they be missing, at start (``compile_catalogs``).
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

from babel import dates, support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, has_request_context, request, url_for
from flask_babel import Babel, format_time, get_locale, refresh

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


def select_locale() -> str:
    if not has_request_context() or not _is_guest_request():
        return "en"  # the dashboard, the API, the CLI and the worker
    cookie = request.cookies.get(COOKIE, "")
    return (_asked() or (cookie if cookie in LANGUAGES else None)
            or request.accept_languages.best_match(LANGUAGES, default="en") or "en")


def language() -> str:
    """The current language code ("en" outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def _remember(response: Response) -> Response:
    """``?lang=`` on a guest page sets the cookie; guest pages vary by language."""
    if has_request_context() and _is_guest_request():
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        asked = _asked()
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
    return [{"code": code, "name": LANGUAGE_NAMES[code], "current": code == current,
             "url": path + "?" + urlencode([*args, ("lang", code)])} for code in LANGUAGES]


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
    A booking's confirmation marks ~57 messages, and through Flask-Babel they cost the
    API's booking a sixth of its throughput (bench/cost.py's profile). English is the
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
                                 day_long=day_long, day_short=day_short, day_month=day_month,
                                 clock_time=clock_time)
