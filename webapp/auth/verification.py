"""Proving an account's e-mail address: the link e-mailed at sign-up (/a/verify/<token>)
and "send the link again" for a logged-in owner whose address is not verified yet (the
dashboard's banner, templates/owner/_verify_banner.html).

Opening the link shows a button and changes nothing; the POST takes the link. Mail
scanners and link previews fetch the links in an e-mail, and a single-use link taken
on GET would be used up before its owner clicks it."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from ..booking.operations import accounts, links
from ..extensions import db, limiter
from ..owner.labels import translate_refusal
from .account_mail import account_urls, send_after_commit
from .forms import ActionForm
from .views import _safe_next, bp


def private_page(body: str, status: int = 200):
    """A page whose URL holds a one-time token: never cached, never indexed."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def refused(refusal: links.LinkRefused, purpose: str):
    """The page for a link that cannot be used (404 unknown, 410 expired, used or
    replaced), with the way to a new one."""
    body = render_template("auth/link_refused.html", refusal=refusal, purpose=purpose,
                           refusal_text=translate_refusal(refusal.message), form=ActionForm())
    return private_page(body, refusal.http_status)


def account_key() -> str:
    """The rate-limit key of the logged-in account (the limit is checked before the view's
    login_required: an anonymous request counts under its address)."""
    user_id = getattr(current_user, "id", None)
    return f"user:{user_id}" if user_id is not None else get_remote_address()


@bp.get("/a/verify/<token>")
def verify_email(token: str):
    try:
        link = links.peek(db.session, "verify_email", token)
    except links.LinkRefused as refusal:
        return refused(refusal, "verify_email")
    return private_page(render_template("auth/verify.html", form=ActionForm(),
                                        email=link.email))


@bp.post("/a/verify/<token>")
@limiter.limit("10 per minute")
def verify_email_confirm(token: str):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("auth.verify_email", token=token), code=303)
    try:
        user = accounts.verify_email(db.session, token)
    except links.LinkRefused as refusal:
        return refused(refusal, "verify_email")
    flash(_('Thank you: %(email)s is confirmed.', email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("owner.index"), code=303)
    return redirect(url_for("auth.login"), code=303)


@bp.post("/account/verify/resend")
@login_required
@limiter.limit("5 per hour", key_func=account_key,
               error_message=lambda: _("Too many links asked for. Please wait an hour, or look "
                                       "for the last one in your inbox (and its spam folder)."))
def resend_verification():
    target = _safe_next(request.form.get("next"))
    if not ActionForm().validate_on_submit():
        flash(_('The form expired. Please try again.'), "error")
        return redirect(target, code=303)
    user = current_user._get_current_object()
    if user.email_verified_at is not None:
        flash(_('Your address is confirmed already.'), "info")
        return redirect(target, code=303)
    outcome = accounts.send_verification(db.session, user, account_urls())
    send_after_commit(outcome.email_ids)
    flash(_('We sent a new link to %(email)s; the earlier ones no longer work.', email=user.email), "success")
    return redirect(target, code=303)
