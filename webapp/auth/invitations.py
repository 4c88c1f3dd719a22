"""The invitation page (``/a/invite/<token>``): join a restaurant's staff.

Whoever holds the link sees the restaurant and the role. Logged in under the invited
address, one button joins; logged in under another, they are told to log out first;
not logged in, they log in (an account with the address exists) or make the account
with a name and a password, and are logged in. Sign-up's setting (SIGNUP) does not
apply: the invitation is the permission. A link that expired, was used or withdrawn
is a page saying so (410), an unknown one 404.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from ..booking.operations import links
from ..booking.operations import staff as staff_ops
from ..extensions import db, limiter
from ..i18n import lazy_gettext as _l
from ..models import User
from ..owner.labels import translate_refusal
from ..validators import Length, SingleLine
from .forms import LogoutForm
from .logins import start_login
from .passwords import MIN_PASSWORD_LENGTH, hash_password, password_problem
from .views import bp, renew_csrf_token


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class JoinForm(FlaskForm):
    """Joining with the account one is logged in with: only the CSRF token."""


class NewAccountForm(FlaskForm):
    name = StringField(_l("Your name"), filters=[_strip], validators=[
        DataRequired(_l("Give your name, as your colleagues should see it.")), SingleLine(),
        Length(max=120)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Choose a password of at least %(num)s characters.",
                        num=MIN_PASSWORD_LENGTH)),
        Length(max=256)],
        description=_l("At least %(num)s characters, not containing your e-mail address.",
                       num=MIN_PASSWORD_LENGTH))
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(_l("Type the password again.")),
        EqualTo("password", _l("The two passwords differ."))])


def _state(invitation: staff_ops.Invitation) -> str:
    if current_user.is_authenticated:
        return "join" if current_user.email == invitation.email else "other_account"
    return "login" if invitation.account is not None else "new_account"


def _page(token: str, invitation: staff_ops.Invitation | None = None,
          refusal: links.LinkRefused | None = None, form: NewAccountForm | None = None,
          problem: str | None = None, status: int = 200):
    state = "refused" if invitation is None else _state(invitation)
    return render_template(
        "auth/invitation.html", token=token, invitation=invitation, refusal=refusal,
        refusal_text=translate_refusal(refusal.message) if refusal is not None else "",
        state=state, form=form or NewAccountForm(formdata=None), join=JoinForm(formdata=None),
        logout=LogoutForm(formdata=None), problem=problem), status


def _start_login(account: User) -> None:
    """In the joining transaction: the new account's first login (logins.start_login)."""
    start_login(db.session, account, remember=False)


def _joined(joined: staff_ops.Joined):
    flash(_("Welcome to %(name)s: you are an owner here.", name=joined.restaurant.name)
          if joined.role == "owner"
          else _("Welcome to %(name)s: you are staff here.", name=joined.restaurant.name), "success")
    return redirect(url_for("owner.home", ref=joined.restaurant.slug), code=303)


@bp.get("/a/invite/<token>")
def invitation(token: str):
    try:
        found = staff_ops.look_up(db.session, token)
    except links.LinkRefused as refusal:
        return _page(token, refusal=refusal, status=refusal.http_status)
    return _page(token, found)


@bp.post("/a/invite/<token>")
@limiter.limit("10 per minute")
def accept_invitation(token: str):
    try:
        found = staff_ops.look_up(db.session, token)
    except links.LinkRefused as refusal:
        return _page(token, refusal=refusal, status=refusal.http_status)
    state = _state(found)
    if state == "join":
        if not JoinForm().validate():
            return _page(token, found, problem=_l("The form expired. Please try again."),
                         status=400)
        user = current_user._get_current_object()
        try:
            joined = staff_ops.accept(db.session, token, user=user)
        except links.LinkRefused as refusal:
            return _page(token, refusal=refusal, status=refusal.http_status)
        return _joined(joined)
    if state != "new_account":  # another account is logged in, or one must log in
        return _page(token, found, status=409)
    form = NewAccountForm()
    if not form.validate():
        status = 400 if form.csrf_token.errors else 422
        return _page(token, found, form=form, status=status,
                     problem=_l("The form expired. Please try again.") if status == 400 else None)
    problem = password_problem(form.password.data, found.email)
    if problem:
        form.password.errors = [problem[0].upper() + problem[1:] + "."]
        return _page(token, found, form=form, status=422)
    try:
        joined = staff_ops.accept(
            db.session, token,
            new_account=staff_ops.NewAccount(form.name.data, hash_password(form.password.data)),
            before_commit=_start_login)
    except links.LinkRefused as refusal:
        return _page(token, refusal=refusal, status=refusal.http_status)
    except staff_ops.StaffRefused as refusal:
        return _page(token, found, form=form, problem=translate_refusal(refusal.message), status=409)
    renew_csrf_token()
    login_user(joined.user)
    return _joined(joined)
