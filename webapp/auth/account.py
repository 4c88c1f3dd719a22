"""The account page (/account): owners and staff change their own password and can log
out on every device. A new password ends every other login of the account (their
session and remember cookies stop opening) and keeps this one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from ..extensions import db, limiter
from ..i18n import lazy_gettext as _l
from ..validators import Length
from .forms import LogoutForm
from .logins import current_login
from .passwords import MIN_PASSWORD_LENGTH, password_matches, password_problem, set_password
from .views import bp, renew_csrf_token


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Give your current password.")), Length(max=256)])
    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Choose a new password.")), Length(max=256)],
        description=_l("At least %(num)s characters, not containing your e-mail address.",
                       num=MIN_PASSWORD_LENGTH))
    repeat = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Type the new password once more.")),
        EqualTo("new", message=_l("The two new passwords differ."))])


def _page(form: PasswordChangeForm, status: int = 200):
    return render_template("auth/account.html", form=form, logout_form=LogoutForm(),
                           min_length=MIN_PASSWORD_LENGTH), status


@bp.get("/account")
@login_required
def account():
    return _page(PasswordChangeForm(formdata=None))


@bp.post("/account/password")
@login_required
@limiter.limit("10 per minute")
def change_password():
    form = PasswordChangeForm()
    valid = form.validate_on_submit()
    if form.csrf_token.errors:
        return _page(form, 400)
    user = current_user._get_current_object()
    # Every problem at once: the wrong current password, the rule the new one breaks.
    if form.current.data and not password_matches(user, form.current.data):
        form.current.errors = [*form.current.errors, _l("This is not your current password.")]
        valid = False
    problem = password_problem(form.new.data, user.email) if form.new.data else None
    if problem:
        form.new.errors = [*form.new.errors, problem[0].upper() + problem[1:] + "."]
        valid = False
    if not valid:
        return _page(form, 422)
    this_login = current_login(db.session, user)
    set_password(db.session, user, form.new.data, keep=this_login)
    db.session.commit()
    # This browser carries on under the account's new session version (and gets a new
    # remember cookie if it had one); every other login has ended.
    renew_csrf_token()
    login_user(user, remember=bool(this_login and this_login.remember))
    flash(_('Your password is changed. Every other device is logged out.'), "success")
    return redirect(url_for("auth.account"), code=303)

