from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from .forms import LoginForm, LogoutForm
from .logins import end_all_logins, end_login, start_login
from .passwords import authenticate

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a ?next= that stays on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("owner.index")


def renew_csrf_token() -> None:
    """A new CSRF token from the next page on: one read before the login (or by whoever
    planted the session) is worthless after it."""
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            start_login(db.session, user, remember=bool(form.remember.data))
            db.session.commit()
            renew_csrf_token()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("E-mail or password is not right.")
        status = 401
    elif request.method == "POST":
        status = 422 if not form.csrf_token.errors else 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    if LogoutForm().validate_on_submit():
        end_login(db.session, current_user)
        db.session.commit()
        logout_user()
        renew_csrf_token()
        flash(_('You are logged out.'), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    """Ends every login of the account, on every device, this one included."""
    if LogoutForm().validate_on_submit():
        end_all_logins(db.session, current_user)
        db.session.commit()
        logout_user()
        renew_csrf_token()
        flash(_('You are logged out on every device.'), "info")
    return redirect(url_for("auth.login"))
