"""The account page (/account): owners and staff change their own password and can log
out on every device. A new password ends every other login of the account (their
session and remember cookies stop opening) and keeps this one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from ..extensions import db, limiter
from ..validators import Length
from .forms import LogoutForm
from .logins import current_login
from .passwords import MIN_PASSWORD_LENGTH, password_matches, password_problem, set_password
from .views import bp, renew_csrf_token


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        DataRequired("Give your current password."), Length(max=256)])
    new = PasswordField("New password", validators=[
        DataRequired("Choose a new password."), Length(max=256)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters, not containing your "
                    "e-mail address.")
    repeat = PasswordField("New password again", validators=[
        DataRequired("Type the new password once more."),
        EqualTo("new", message="The two new passwords differ.")])


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
        form.current.errors = [*form.current.errors, "This is not your current password."]
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
    flash("Your password is changed. Every other device is logged out.", "success")
    return redirect(url_for("auth.account"), code=303)

