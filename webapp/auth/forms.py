from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo

from ..i18n import lazy_gettext as _l
from ..validators import Length, SingleLine


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), SingleLine(), Email(),
                                                 Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class LogoutForm(FlaskForm):
    """Empty form: logging out is a POST so that it carries a CSRF token."""


class ActionForm(FlaskForm):
    """Empty form for a button that writes (confirm an address, send a link again)."""


class SignupForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(_l("Give your e-mail address.")), SingleLine(),
        Email(_l("Give an e-mail address such as name@example.com.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Choose a password.")), Length(max=256)])
    restaurant_name = StringField(_l("Restaurant name"), validators=[
        DataRequired(_l("Give the restaurant's name.")), SingleLine(), Length(max=120)])
    # The browser's time zone, filled in by static/js/signup.js; onboarding asks again.
    # No validators: a hidden field's error would show nowhere, and sign_up takes an
    # unknown zone as UTC anyway.
    timezone = HiddenField()


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(_l("Give the e-mail address of your account.")), SingleLine(),
        Email(_l("Give an e-mail address such as name@example.com.")), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Choose a new password.")), Length(max=256)])
    repeat = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Type the new password once more.")),
        EqualTo(_l("password"), message=_l("The two passwords differ."))])
