"""A forgotten password: /forgot e-mails a reset link (/a/reset/<token>, an hour, once);
its page sets a new password, which ends every login of the account.

/forgot answers the same whatever the address (webapp/booking/operations/accounts.
request_password_reset does the same work for either), and is rate-limited per address
and per client address like the sign-up."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..booking.operations import accounts, links
from ..extensions import db, limiter
from ..i18n import lazy_gettext as _l
from ..owner.labels import translate_refusal
from .account_mail import account_urls, send_after_commit
from .forms import ForgotForm, ResetForm
from .passwords import MIN_PASSWORD_LENGTH
from .signup import address_key
from .verification import private_page, refused
from .views import bp, renew_csrf_token

FORGOT_LIMIT = "5 per hour"
TOO_MANY = (_l("Too many reset links asked for from your connection or for this address. "
            "Please try again later."))
SENT = (_l("If an account exists for that address, we sent a link to it. It works for an hour, "
        "once."))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(FORGOT_LIMIT, methods=["POST"], error_message=lambda: str(TOO_MANY))
@limiter.limit(FORGOT_LIMIT, methods=["POST"], key_func=address_key, error_message=lambda: str(TOO_MANY))
def forgot():
    form = ForgotForm()
    status = 200
    if form.validate_on_submit():
        outcome = accounts.request_password_reset(db.session, form.email.data, account_urls())
        send_after_commit(outcome.email_ids)
        flash(str(SENT), "info")
        return redirect(url_for("auth.forgot"), code=303)
    if request.method == "POST":
        status = 400 if form.csrf_token.errors else 422
    return render_template("auth/forgot.html", form=form), status


@bp.route("/a/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str):
    try:
        user = accounts.reset_link_account(db.session, token)
    except links.LinkRefused as refusal:
        return refused(refusal, "reset_password")
    form = ResetForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, token, form.password.data)
        except accounts.AccountRefused as refusal:
            form.password.errors = [*form.password.errors, translate_refusal(refusal.message)]
            status = 422
        except links.LinkRefused as refusal:
            return refused(refusal, "reset_password")
        else:
            # Every login of the account has ended on the server; if this browser had one,
            # its cookie goes too. A login to another account stays.
            if current_user.is_authenticated and current_user.id == user.id:
                logout_user()
            renew_csrf_token()
            flash(_('Your new password is set and every device is logged out. Log in with it.'),
                  "success")
            return redirect(url_for("auth.login"), code=303)
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 422
    body = render_template("auth/reset.html", form=form, email=user.email,
                           min_length=MIN_PASSWORD_LENGTH)
    return private_page(body, status)
