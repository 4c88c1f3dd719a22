"""API tokens for integrations (owners only): created and shown once, listed, revoked."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..auth.tokens import create_token, revoke_token
from ..extensions import db
from ..models import ApiToken
from .access import Access, owned_or_404, owner_required
from .common import form_status
from .forms import ConfirmForm, TokenForm
from .views import bp


def _render(access: Access, form: TokenForm, status: int = 200, clear: str | None = None):
    tokens = db.session.scalars(select(ApiToken).where(
        ApiToken.restaurant_id == access.restaurant.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())).all()
    response = render_template("owner/tokens.html", access=access, restaurant=access.restaurant,
                               tokens=tokens, form=form, clear=clear,
                               confirm=ConfirmForm(formdata=None)), status
    return response


@bp.route("/<ref>/tokens", methods=["GET", "POST"])
@owner_required
def tokens(access: Access):
    if request.method == "GET":
        return _render(access, TokenForm(formdata=None))
    form = TokenForm()
    if not form.validate():
        return _render(access, form, form_status(form))
    _, clear = create_token(db.session, access.restaurant.id, form.name.data,
                            created_by_id=current_user.id)
    db.session.commit()
    # Shown in this answer only (never stored in clear, never put in the session cookie,
    # never cached: the blueprint sends no-store).
    page, _ = _render(access, TokenForm(formdata=None), 201, clear)
    return page, 201


@bp.post("/<ref>/tokens/<int:token_id>/revoke")
@owner_required
def revoke(access: Access, token_id: int):
    token = owned_or_404(access, ApiToken, token_id)
    if ConfirmForm().validate():
        revoke_token(token)
        db.session.commit()
        flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for("owner.tokens", ref=access.ref), code=303)
