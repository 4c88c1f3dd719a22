from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from ..validators import SingleLine


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), SingleLine(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me logged in on this device")


class LogoutForm(FlaskForm):
    """Empty form: logging out is a POST so that it carries a CSRF token."""
