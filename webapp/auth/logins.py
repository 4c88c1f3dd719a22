"""Logins that end on the server.

Flask-Login keeps ``User.get_id()`` in the signed session cookie and in the remember
cookie: ``"<user id>:<session version>:<login token>"``. A request's user is loaded only
when both still hold:

* the account's ``session_version`` is the one in the cookie: a password change or
  "log out everywhere" gives it a new value, which ends every session and remember
  cookie issued before, wherever they were copied to;
* the login's row in ``login_sessions`` (found by a hash of its token) still exists:
  logging out deletes it, which ends that login (and only that one) on the server.

Each login draws a new token, so two logins never share a remember cookie. Plain
SQLAlchemy; the views in ``auth/views.py`` and ``owner/account.py`` call these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import LoginSession, User

# As long as a remember cookie lives (settings.REMEMBER_COOKIE_DURATION): no login is
# accepted for longer, whatever its cookies say.
LOGIN_LIFETIME = dt.timedelta(days=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(session: Session, user: User, remember: bool) -> LoginSession:
    """A new login of ``user`` (the caller commits); afterwards ``user.get_id()`` names it.
    Logins past their lifetime are cleared on the way."""
    now = dt.datetime.now(dt.UTC)
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                               LoginSession.created_at < now - LOGIN_LIFETIME))
    token = secrets.token_urlsafe(32)
    login = LoginSession(user_id=user.id, token_hash=_digest(token), remember=remember,
                         created_at=now)
    session.add(login)
    user.login_token = token
    return login


def load_login(session: Session, alternative_id: str) -> User | None:
    """The user named by a session's (or remember cookie's) id, if that login is live."""
    user_id, _, rest = alternative_id.partition(":")
    version, _, token = rest.partition(":")
    if not (user_id.isdigit() and version.isdigit() and token) or len(token) > 100:
        return None
    found = session.execute(
        select(User, LoginSession.created_at).join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == int(user_id), User.session_version == int(version),
               LoginSession.token_hash == _digest(token))).first()
    if found is None:
        return None
    user, started = found
    if started < dt.datetime.now(dt.UTC) - LOGIN_LIFETIME:
        return None
    user.login_token = token
    return user


def current_login(session: Session, user: User) -> LoginSession | None:
    """The login this request was made under (None outside one)."""
    token: str | None = getattr(user, "login_token", None)
    if not token:
        return None
    return session.scalar(select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.token_hash == _digest(token)))


def end_login(session: Session, user: User) -> None:
    """Logging out: this login is over on the server (the caller commits)."""
    login = current_login(session, user)
    if login is not None:
        session.delete(login)


def end_all_logins(session: Session, user: User, keep: LoginSession | None = None) -> None:
    """A password change or "log out everywhere": every session and remember cookie of the
    account issued so far stops opening (the caller commits). ``keep`` survives, under the
    new session version: the caller logs it in again so that its cookies carry it."""
    user.session_version = (user.session_version or 0) + 1
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    session.execute(query)
