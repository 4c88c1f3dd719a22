"""Sign-up (/signup): an e-mail address, a password and the restaurant's name make an
owner account and a restaurant to set up (webapp/booking/operations/accounts.sign_up).

``SIGNUP`` (settings.py) decides who may: ``open`` anyone, ``invite`` and ``closed``
nobody here (the page says so; a POST is 403). The answer never tells whether the
address had an account: both end in the same redirect with the same message, and the
known address gets a note by e-mail instead of a second account. Whoever signs up
anew is logged in at once: an unverified owner may set up everything, only publishing
waits for the address (accounts.publish)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..booking.operations.accounts import AccountRefused, sign_up
from ..extensions import db, limiter
from ..i18n import lazy_gettext as _l
from ..owner.labels import translate_refusal
from .account_mail import account_urls, send_after_commit
from .forms import SignupForm
from .logins import start_login
from .passwords import MIN_PASSWORD_LENGTH
from .views import bp, renew_csrf_token

# Per address and per client address: enough for typing mistakes, too few to probe
# which addresses have accounts or to mail a stranger a stream of notes.
SIGNUP_LIMIT = "5 per hour"
TOO_MANY = _l("Too many sign-ups from your connection or for this address. Please try again later.")


def address_key() -> str:
    """The rate-limit key of a form's e-mail address (one budget however it is spelt)."""
    return "address:" + str(request.form.get("email", "")).strip().lower()[:254]


def check_inbox(email: str) -> str:
    return _("Check your inbox: we sent an e-mail to %(email)s. Follow its link to confirm "
             "your address.", email=email)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(SIGNUP_LIMIT, methods=["POST"], error_message=lambda: str(TOO_MANY))
@limiter.limit(SIGNUP_LIMIT, methods=["POST"], key_func=address_key, error_message=lambda: str(TOO_MANY))
def signup():
    mode = current_app.config["SIGNUP"]
    if mode != "open":
        return render_template("auth/signup.html", form=None, mode=mode), (
            403 if request.method == "POST" else 200)
    if current_user.is_authenticated:
        return redirect(url_for("owner.index"))
    form = SignupForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        try:
            outcome = sign_up(db.session, email, form.password.data, form.restaurant_name.data,
                              urls=account_urls(), timezone=form.timezone.data or "")
        except AccountRefused as refusal:
            field = getattr(form, refusal.field or "", form.password)
            field.errors = [*field.errors, translate_refusal(refusal.message)]
            status = 422
        else:
            send_after_commit(outcome.email_ids)
            if outcome.user is not None:
                start_login(db.session, outcome.user, remember=False)
                db.session.commit()
                renew_csrf_token()
                login_user(outcome.user)
            flash(check_inbox(email), "info")
            return redirect(url_for("owner.index"), code=303)
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 422
    return render_template("auth/signup.html", form=form, mode=mode,
                           min_length=MIN_PASSWORD_LENGTH), status
