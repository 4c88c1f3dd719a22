"""Webhook endpoints (owners only): added with their events, the secret shown once,
a test event, the last deliveries of each, removed. The rules are in booking/webhooks.py."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired

from ..booking import webhooks as hooks
from ..extensions import db, limiter
from ..i18n import lazy_gettext as _l
from ..models import WebhookEndpoint
from ..validators import Length, Optional, SingleLine
from .access import Access, owned_or_404, owner_required
from .common import form_status
from .forms import ConfirmForm, OwnerForm, choices
from .labels import translate_refusal
from .views import bp


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class EventsField(SelectMultipleField):
    """Several event types: a JSON array in the API."""

    json_shapes = ("array",)


class WebhookForm(OwnerForm):
    """A webhook endpoint: where to POST which events."""

    url = StringField(_l("Address (URL)"), filters=[_strip],
                      description=_l("Where to POST the events, e.g. https://pos.example.com/hooks."),
                      validators=[DataRequired(_l("Give the address to send the events to.")),
                                  SingleLine(), Length(max=500)])
    description = StringField(_l("Description"), filters=[_strip],
                              validators=[Optional(), SingleLine(), Length(max=200)],
                              description=_l("For you: what this endpoint is for."))
    events = EventsField(_l("Send these events"), default=list(hooks.EVENTS),
                                 # lazy: each label in the page's language (DOMAIN_WORDS)
                                 choices=choices((event, _l(label))
                                                 for event, label in hooks.EVENT_LABELS.items()),
                                 validators=[DataRequired(_l("Choose at least one event."))])


def event_labels() -> dict[str, str]:
    """Each event's label in the page's language (labels.DOMAIN_WORDS marks them)."""
    return {event: _(label) for event, label in hooks.EVENT_LABELS.items()}


def _render(access: Access, form: WebhookForm, status: int = 200,
            made: WebhookEndpoint | None = None):
    endpoints = hooks.endpoints_of(db.session, access.restaurant)
    deliveries = {endpoint.id: hooks.recent_deliveries(db.session, endpoint)
                  for endpoint in endpoints}
    return render_template("owner/webhooks.html", access=access, restaurant=access.restaurant,
                           endpoints=endpoints, deliveries=deliveries, form=form, made=made,
                           labels=event_labels(), confirm=ConfirmForm(formdata=None)), status


@bp.route("/<ref>/webhooks", methods=["GET", "POST"])
@owner_required
def webhooks(access: Access):
    if request.method == "GET":
        return _render(access, WebhookForm(formdata=None))
    form = WebhookForm()
    if not form.validate():
        return _render(access, form, form_status(form))
    try:
        endpoint = hooks.add_endpoint(
            db.session, access.restaurant, form.url.data, form.events.data,
            form.description.data or "",
            allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    except hooks.WebhookRefused as refusal:
        getattr(form, refusal.field or "url").errors = [translate_refusal(refusal.message)]
        return _render(access, form, 422)
    return _render(access, WebhookForm(formdata=None), 201, made=endpoint)


@bp.post("/<ref>/webhooks/<int:endpoint_id>/test")
@owner_required
@limiter.limit("20 per hour")
def webhook_test(access: Access, endpoint_id: int):
    endpoint = owned_or_404(access, WebhookEndpoint, endpoint_id)
    if ConfirmForm().validate():
        hooks.send_test_event(db.session, access.restaurant, endpoint)
        flash(_('A test event is on its way; its delivery shows below within a few seconds.'),
              "success")
    return redirect(url_for("owner.webhooks", ref=access.ref), code=303)


@bp.post("/<ref>/webhooks/<int:endpoint_id>/delete")
@owner_required
def webhook_delete(access: Access, endpoint_id: int):
    endpoint = owned_or_404(access, WebhookEndpoint, endpoint_id)
    if ConfirmForm().validate():
        hooks.remove_endpoint(db.session, access.restaurant, endpoint)
        flash(_('Endpoint %(url)s removed.', url=endpoint.url), "success")
    return redirect(url_for("owner.webhooks", ref=access.ref), code=303)
