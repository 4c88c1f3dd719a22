"""The set-up guide (owners only): five steps, one page each, then Publish; another
restaurant for the same account; the guest link to share, with its QR code.

Shown after login while the restaurant's ``onboarded_at`` is None (views.py's index and
home send owners here), each step skippable (a plain link to the next one) and
re-openable from the dashboard. Plain forms, POST/redirect/GET, CSRF; htmx only adds
the address check while typing. The views read the form and call the operations
(``booking/operations/onboarding.py``, ``setup.py``, ``restaurants.py``), which write.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from typing import Any

import segno
from babel.dates import get_day_names
from flask import (
    Response,
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
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import DataRequired

from ..booking.operations import onboarding as guide
from ..booking.operations import restaurants as restaurant_ops
from ..booking.operations.setup import ServiceTimes, SetupRefused, TableDetails
from ..booking.phones import country_for_zone
from ..extensions import db, limiter
from ..i18n import language
from ..i18n import lazy_gettext as _l
from ..models import Restaurant
from ..validators import Length, SingleLine
from .access import Access, member_required, owner_required
from .common import form_status
from .forms import ConfirmForm, OwnerForm, _strip
from .labels import translate_refusal
from .onboarding_forms import RestaurantStepForm, RulesStepForm
from .views import bp

QUICK_ROWS = 4  # empty rows of the quick tables form without JavaScript
ZONE_CHOSEN = "guide_zone_chosen"  # session: restaurants whose zone the owner confirmed


def _see_other(endpoint: str, **values: Any):
    return redirect(url_for(endpoint, **values), code=303)


def _step_url(access: Access, name: str) -> str:
    return url_for(f"owner.guide_{name}", ref=access.ref)


def _render(access: Access, step: str, template: str, status: int = 200, **context: Any):
    index = guide.STEP_NAMES.index(step)
    following = guide.STEP_NAMES[index + 1] if index + 1 < len(guide.STEPS) else None
    steps = [(name, _(title), _step_url(access, name)) for name, title in guide.STEPS]
    return render_template(
        f"owner/onboarding/{template}", access=access, restaurant=access.restaurant,
        steps=steps, step=step, step_number=index + 1, step_count=len(guide.STEPS),
        step_title=_(guide.STEPS[index][1]),  # labels.DOMAIN_WORDS
        skip_url=_step_url(access, following) if following else None,
        confirm=ConfirmForm(formdata=None), **context), status


def _refusal_to(form: OwnerForm, refusal: SetupRefused) -> None:
    """The refusal under its field, or above the form when the form lacks that field;
    in the owner's language either way."""
    message = translate_refusal(refusal.message)
    field = getattr(form, refusal.field or "", None)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


def _checked_csrf() -> None:
    """The CSRF token of a form read by hand (rows with numbered names): 400 without it."""
    form = ConfirmForm()
    if not form.validate():
        abort(400, _('The form has expired; reload the page and try again.'))


# --------------------------------------------------------------------------- entry points


@bp.get("/<ref>/setup-guide")
@owner_required
def guide_start(access: Access):
    return _see_other("owner.guide_restaurant", ref=access.ref)


@bp.post("/<ref>/setup-guide/later")
@owner_required
def guide_later(access: Access):
    """Put the guide off: the dashboard stops opening it after login."""
    if ConfirmForm().validate():
        guide.finish_onboarding(db.session, access.restaurant)
        if access.restaurant.published_at is None:
            flash(_('The set-up guide stays under “Set-up guide” in the menu until you publish.'),
                  "info")
    return _see_other("owner.pick_day", ref=access.ref)


# --------------------------------------------------------------------------- 1. the restaurant


def _zone_chosen(restaurant: Restaurant) -> bool:
    return restaurant.id in session.get(ZONE_CHOSEN, [])


def _remember_zone_chosen(restaurant: Restaurant) -> None:
    session[ZONE_CHOSEN] = [*session.get(ZONE_CHOSEN, [])[-20:], restaurant.id]


@bp.route("/<ref>/setup-guide/restaurant", methods=["GET", "POST"])
@owner_required
def guide_restaurant(access: Access):
    restaurant = access.restaurant
    if request.method == "GET":
        form = RestaurantStepForm(formdata=None, obj=restaurant)
        return _render(access, "restaurant", "restaurant.html", form=form,
                       fill_zone=not _zone_chosen(restaurant))
    form = RestaurantStepForm(restaurant_id=restaurant.id)
    if form.validate():
        old_zone_country = country_for_zone(restaurant.timezone)
        country = restaurant.country
        if country == old_zone_country:  # the zone's country, not one the owner chose
            country = country_for_zone(form.timezone.data)
        try:
            guide.change_some_settings(
                db.session, restaurant, name=form.name.data, slug=form.slug.data,
                timezone=form.timezone.data, country=country, address=form.address.data or "",
                phone=form.phone.data or "", description=form.description.data or "")
        except SetupRefused as refusal:
            _refusal_to(form, refusal)
        else:
            _remember_zone_chosen(restaurant)
            return _see_other("owner.guide_tables", ref=restaurant.slug)
    # The posted choice stands: no script may replace it now.
    return _render(access, "restaurant", "restaurant.html", form_status(form), form=form,
                   fill_zone=False)


@bp.get("/<ref>/setup-guide/address-check")
@owner_required
def guide_slug_check(access: Access):
    """The htmx fragment beside the address field: free, or why not."""
    slug = (request.args.get("slug") or "").strip().lower()
    problem = restaurant_ops.slug_problem(db.session, slug, access.restaurant.id)
    return render_template("owner/onboarding/_slug_check.html", slug=slug,
                           problem=translate_refusal(problem) if problem else None,
                           own=slug == access.restaurant.slug)


# --------------------------------------------------------------------------- 2. tables


def _tables_page(access: Access, status: int = 200, *, errors: dict[str, str] | None = None,
                 rows: list[tuple[str, str, str]] | None = None, quick: str = ""):
    rows = rows or []
    rows = rows + [("", "", "")] * max(0, QUICK_ROWS - len(rows))
    return _render(access, "tables", "tables.html", status, errors=errors or {}, rows=rows,
                   quick=quick, existing=access.restaurant.tables)


def _confirm_page(access: Access, planned: list[TableDetails], status: int = 200,
                  errors: dict[str, str] | None = None):
    return _render(access, "tables", "tables_confirm.html", status, planned=planned,
                   errors=errors or {})


@bp.route("/<ref>/setup-guide/tables", methods=["GET", "POST"])
@owner_required
def guide_tables(access: Access):
    if request.method == "GET":
        return _tables_page(access)
    _checked_csrf()
    if request.form.get("action") == "create":
        return _create_tables(access)
    form = request.form
    rows = [(form.get(f"count-{i}", ""), form.get(f"seats-{i}", ""), form.get(f"area-{i}", ""))
            for i in range(guide.MAX_KINDS)]
    while rows and rows[-1] == ("", "", ""):
        rows.pop()
    quick = form.get("quick", "").strip()
    try:
        kinds = guide.parse_kinds(quick) if quick else []
        kinds += guide.kinds_from_rows(rows)
        if not kinds:
            raise guide.OnboardingRefused(_('Give at least one kind of table, e.g. 6 of 2.'),
                                          field="rows-0")
        planned = guide.plan_for(db.session, access.restaurant, kinds)
    except SetupRefused as refusal:
        return _tables_page(access, 422, errors={refusal.field or "rows": translate_refusal(refusal.message)},
                            rows=rows, quick=quick)
    if len(planned) > guide.MAX_QUICK_TABLES:
        return _tables_page(access, 422, errors={"rows": _l("Too many tables at once.")},
                            rows=rows, quick=quick)
    return _confirm_page(access, planned)


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 6 else None


def _create_tables(access: Access):
    form = request.form
    count = _number(form.get("count"))
    if count is None or not 1 <= count <= guide.MAX_QUICK_TABLES:
        abort(400, _('The list of tables is incomplete; start again from the first form.'))
    planned = []
    for i in range(count):
        seats, position = _number(form.get(f"seats-{i}")), _number(form.get(f"position-{i}"))
        if seats is None or position is None:
            abort(400, _('The list of tables is incomplete; start again from the first form.'))
        planned.append(TableDetails(name=form.get(f"names-{i}", "").strip(), seats=seats,
                                    area=form.get(f"area-{i}", "").strip()[:60],
                                    position=position))
    try:
        made = guide.add_tables(db.session, access.restaurant, planned)
    except SetupRefused as refusal:
        return _confirm_page(access, planned, 422,
                             {refusal.field or "names": translate_refusal(refusal.message)})
    flash(ngettext("%(num)d table added.", "%(num)d tables added.", len(made)), "success")
    return _see_other("owner.guide_hours", ref=access.ref)


# --------------------------------------------------------------------------- 3. opening hours


def _weekdays_from_form() -> list[int]:
    return sorted({int(v) for v in request.form.getlist("weekdays") if v in "0123456"
                   and len(v) == 1})


def _weekdays_short() -> list[str]:
    """Mon … Sun as the owner's language abbreviates them (English: the first three
    letters, as before; German "Mo., Di., …" from CLDR)."""
    code = language()
    if code == "en":
        return [name[:3] for name in guide.WEEKDAY_NAMES]
    names = get_day_names("abbreviated", locale=code)
    return [names[i] for i in range(7)]


def _hours_page(access: Access, status: int = 200, *, errors: dict[str, str] | None = None,
                preset: str = "lunch_dinner", weekdays: list[int] | None = None):
    return _render(access, "hours", "hours.html", status, errors=errors or {},
                   presets={key: (_(label), services)
                            for key, (label, services) in guide.PRESETS.items()},
                   preset=preset, weekdays=list(range(7)) if weekdays is None else weekdays,
                   weekday_names=[_(name) for name in guide.WEEKDAY_NAMES],
                   weekday_short=_weekdays_short(), current=access.restaurant.opening_hours)


def _hours_review(access: Access, preset: str, weekdays: list[int],
                  services: list[dict[str, str]], status: int = 200,
                  errors: dict[str, str] | None = None):
    return _render(access, "hours", "hours_review.html", status, errors=errors or {},
                   preset=preset, preset_label=_(guide.PRESETS[preset][0]), weekdays=weekdays,
                   weekday_names=[_(name) for name in guide.WEEKDAY_NAMES], services=services)


def _wall_time(text: str) -> dt.time | None:
    text = text.strip()
    if len(text) == 5 and text[2] == ":":
        try:
            return dt.time.fromisoformat(text)
        except ValueError:
            return None
    return None


@bp.route("/<ref>/setup-guide/hours", methods=["GET", "POST"])
@owner_required
def guide_hours(access: Access):
    if request.method == "GET":
        return _hours_page(access)
    _checked_csrf()
    preset = request.form.get("preset", "")
    weekdays = _weekdays_from_form()
    try:
        presets = guide.preset_services(preset)
        if not weekdays:
            raise guide.OnboardingRefused(_('Choose at least one day.'), field="weekdays")
    except SetupRefused as refusal:
        return _hours_page(access, 422,
                           errors={refusal.field or "preset": translate_refusal(refusal.message)},
                           preset=preset if preset in guide.PRESETS else "lunch_dinner",
                           weekdays=weekdays)
    if request.form.get("action") != "save":
        services = [{"name": s.name, "opens": f"{s.opens:%H:%M}", "closes": f"{s.closes:%H:%M}"}
                    for s in presets]
        return _hours_review(access, preset, weekdays, services)
    services = [{key: request.form.get(f"services-{i}-{key}", "").strip()[:40]
                 for key in ("name", "opens", "closes")} for i in range(len(presets))]
    errors: dict[str, str] = {}
    times = []
    for i, service in enumerate(services):
        opens, closes = _wall_time(service["opens"]), _wall_time(service["closes"])
        if opens is None:
            errors[f"services-{i}-opens"] = "Give the opening time as HH:MM, e.g. 12:00."
        if closes is None:
            errors[f"services-{i}-closes"] = "Give the closing time as HH:MM, e.g. 23:00."
        if opens is not None and closes is not None:
            times.append(ServiceTimes(service["name"], opens, closes))
    if errors:
        return _hours_review(access, preset, weekdays, services, 422, errors)
    try:
        weekly = guide.weekly_services(weekdays, times)
    except SetupRefused as refusal:
        field = refusal.field or "services"
        key = f"{field}-opens" if field.startswith("services-") else field
        return _hours_review(access, preset, weekdays, services, 422,
                             {key: translate_refusal(refusal.message)})
    guide.set_weekly_hours(db.session, access.restaurant, weekly)
    flash(_('Opening hours saved.'), "success")
    return _see_other("owner.guide_rules", ref=access.ref)


# --------------------------------------------------------------------------- 4. booking rules


RULES = ("slot_interval_minutes", "default_turn_minutes", "turn_times", "lead_time_minutes",
         "horizon_days", "max_online_party")


@bp.route("/<ref>/setup-guide/rules", methods=["GET", "POST"])
@owner_required
def guide_rules(access: Access):
    restaurant = access.restaurant
    if request.method == "GET":
        form = RulesStepForm(formdata=None, obj=restaurant)
        form.turn_times.data = dict(restaurant.turn_times or {})
        return _render(access, "rules", "rules.html", form=form)
    form = RulesStepForm(restaurant_id=restaurant.id)
    if form.validate():
        values = {name: getattr(form, name).data for name in RULES}
        values["turn_times"] = dict(values["turn_times"] or {})
        try:
            guide.change_some_settings(db.session, restaurant, **values)
        except SetupRefused as refusal:
            _refusal_to(form, refusal)
        else:
            return _see_other("owner.guide_publish", ref=restaurant.slug)
    return _render(access, "rules", "rules.html", form_status(form), form=form)


# --------------------------------------------------------------------------- 5. preview, publish


def guest_link(restaurant: Restaurant) -> str:
    """The guest page's absolute address, under PUBLIC_BASE_URL (never the request's Host)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for("public.restaurant_page", slug=restaurant.slug)


def _publish_page(access: Access, status: int = 200, refusal: str | None = None):
    restaurant = access.restaurant
    preview = guide.guest_preview(db.session(), restaurant)
    return _render(access, "publish", "publish.html", status, preview=preview,
                   refusal=refusal, link=guest_link(restaurant),
                   resend_url=_resend_url(), has_tables=bool(restaurant.tables),
                   has_hours=bool(restaurant.opening_hours))


def _resend_url() -> str | None:
    """Where an owner asks for the verification e-mail again (sign-up's POST form)."""
    if "auth.resend_verification" in current_app.view_functions:
        return url_for("auth.resend_verification")
    return None


@bp.route("/<ref>/setup-guide/publish", methods=["GET", "POST"])
@owner_required
def guide_publish(access: Access):
    if request.method == "GET":
        return _publish_page(access)
    _checked_csrf()
    # Here, not at the top: accounts imports webapp.auth, whose modules import it back, so
    # importing the dashboard first would find it half made.
    from ..booking.operations import accounts

    try:
        accounts.publish(db.session(), access.restaurant, current_user)
    except accounts.PublishRefused as refusal:
        return _publish_page(access, 422, translate_refusal(refusal.message))
    guide.finish_onboarding(db.session, access.restaurant)
    flash(_('Your booking page is live. Share its link or print the QR code.'), "success")
    return _see_other("owner.share", ref=access.ref)


# --------------------------------------------------------------------------- sharing


@lru_cache(maxsize=256)
def qr_svg(link: str) -> str:
    """The link as a QR code in SVG (no style attributes: the CSP allows none). Kept: it
    takes segno ~20 ms and the link rarely changes."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="svg", xmldecl=False, omitsize=True,
                                     dark="#000", light="#fff", border=4,
                                     svgclass="qr-code", lineclass=None,
                                     title=f"QR code of {link}")
    return buffer.getvalue().decode()


@bp.get("/<ref>/share")
@member_required
def share(access: Access):
    restaurant = access.restaurant
    link = guest_link(restaurant)
    return render_template("owner/onboarding/share.html", access=access, restaurant=restaurant,
                           link=link, qr=qr_markup(link, "qr-caption"),
                           published=restaurant.published_at is not None)


def qr_markup(link: str, caption_id: str) -> Markup:
    """The QR code as an inline <svg>, named by the element ``caption_id``."""
    return Markup(qr_svg(link).replace(
        "<svg ", f'<svg role="img" aria-labelledby="{caption_id}" ', 1))


@bp.get("/<ref>/share/qr.svg")
@member_required
def share_qr(access: Access):
    svg = '<?xml version="1.0" encoding="utf-8"?>\n' + qr_svg(guest_link(access.restaurant))
    return Response(svg, mimetype="image/svg+xml", headers={
        "Content-Disposition": f'attachment; filename="{access.restaurant.slug}-qr.svg"'})


# --------------------------------------------------------------------------- another restaurant


class NewRestaurantForm(OwnerForm):
    name = StringField(_l("Name of the restaurant"), filters=[_strip], validators=[
        DataRequired(_l("Give the restaurant's name.")), SingleLine(), Length(max=120)])


def _may_create() -> bool:
    """Owners may add restaurants; anyone may while sign-up is open to all."""
    if str(current_app.config.get("SIGNUP", "open")) == "open":
        return True
    return any(m.role == "owner" for m in current_user.memberships)


@bp.route("/new", methods=["GET", "POST"])
@login_required
# Each one is rows and a guest page: a runaway script or a careless loop stops here.
@limiter.limit("20 per hour", methods=["POST"], key_func=lambda: f"user:{current_user.get_id()}",
               error_message=lambda: _("Too many new restaurants in an hour. Please wait a while."))
def new_restaurant():
    if not _may_create():
        abort(403, _("Ask an owner of a restaurant, or the site's administrator, to add one."))
    if request.method == "GET":
        return render_template("owner/onboarding/new_restaurant.html",
                               form=NewRestaurantForm(formdata=None))
    form = NewRestaurantForm()
    if form.validate():
        try:
            restaurant = restaurant_ops.add_restaurant(db.session, name=form.name.data,
                                                       owner=current_user)
        except SetupRefused as refusal:
            _refusal_to(form, refusal)
        else:
            flash(_("%(name)s is created. Let's set it up.", name=restaurant.name), "success")
            return _see_other("owner.guide_restaurant", ref=restaurant.slug)
    return render_template("owner/onboarding/new_restaurant.html", form=form), form_status(form)


@bp.app_context_processor
def _switcher() -> dict[str, Any]:
    """For the dashboard's header: the account's restaurants (the switcher menu) and
    whether it may add one."""

    def my_restaurants() -> list[Restaurant]:
        if not current_user.is_authenticated:
            return []
        return sorted((m.restaurant for m in current_user.memberships),
                      key=lambda r: r.name.lower())

    def may_add_restaurant() -> bool:
        return bool(current_user.is_authenticated) and _may_create()

    def share_card(restaurant: Restaurant) -> dict[str, Any]:
        link = guest_link(restaurant)
        return {"link": link, "qr": qr_markup(link, "share-card-caption")}

    return {"my_restaurants": my_restaurants, "may_add_restaurant": may_add_restaurant,
            "share_card": share_card}
