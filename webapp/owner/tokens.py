"""API tokens for integrations (owners only): made with chosen scopes and shown once,
listed with their scopes, revoked. The use cases are in booking/operations/tokens.py."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..booking.operations import tokens as token_ops
from ..extensions import db
from ..models import ApiToken
from .access import Access, owned_or_404, owner_required
from .common import form_status
from .forms import ConfirmForm, TokenForm
from .labels import translate_refusal
from .views import bp


def _render(access: Access, form: TokenForm, status: int = 200, clear: str | None = None,
            made: ApiToken | None = None):
    tokens = db.session.scalars(select(ApiToken).where(
        ApiToken.restaurant_id == access.restaurant.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                  ApiToken.id.desc())).all()
    return render_template("owner/tokens.html", access=access, restaurant=access.restaurant,
                           tokens=tokens, form=form, clear=clear, made=made,
                           scope_labels={c.value: c.label for c in form.scopes.choices or []},
                           confirm=ConfirmForm(formdata=None)), status


@bp.route("/<ref>/tokens", methods=["GET", "POST"])
@owner_required
def tokens(access: Access):
    if request.method == "GET":
        return _render(access, TokenForm(formdata=None))
    form = TokenForm()
    if not form.validate():
        return _render(access, form, form_status(form))
    try:
        token, clear = token_ops.make(db.session, access.restaurant, form.name.data,
                                      form.scopes.data, created_by_id=current_user.id)
    except token_ops.TokenRefused as refusal:
        form.scopes.errors = [translate_refusal(refusal.message)]
        return _render(access, form, 422)
    # Shown in this answer only (never stored in clear, never put in the session cookie,
    # never cached: the blueprint sends no-store).
    return _render(access, TokenForm(formdata=None), 201, clear, token)


@bp.post("/<ref>/tokens/<int:token_id>/revoke")
@owner_required
def revoke(access: Access, token_id: int):
    token = owned_or_404(access, ApiToken, token_id)
    if ConfirmForm().validate():
        token_ops.revoke(db.session, access.restaurant, token)
        flash(_('Token “%(name)s” revoked.', name=token.name), "success")
    return redirect(url_for("owner.tokens", ref=access.ref), code=303)
