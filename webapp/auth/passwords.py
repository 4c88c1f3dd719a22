"""Owner accounts: hashed passwords and creation, shared by the CLI and the pages."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import LoginSession, Membership, Restaurant, User
from ..settings import DEFAULT_PASSWORD_HASH_METHOD
from .logins import end_all_logins

MIN_PASSWORD_LENGTH = 12


def hash_method() -> str:
    """The app's PASSWORD_HASH_METHOD (scrypt; settings.py lets only the tests pick a cheap one)."""
    if not has_app_context():
        return DEFAULT_PASSWORD_HASH_METHOD
    return str(current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_PASSWORD_HASH_METHOD))


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A hash to compare against when the e-mail is unknown, made with the method real
    hashes use, so that both paths take as long."""
    return generate_password_hash("not-a-real-password", method)


def hash_password(password: str) -> str:
    return generate_password_hash(password, hash_method())


def password_problem(password: str, email: str) -> str | None:
    """Why ``password`` will not do for the account ``email`` (None when it will): one
    rule for the command line and the dashboard."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters"
    if email and email.strip().lower() in password.lower():
        return "password must not contain the e-mail address"
    return None


def set_password(session: Session, user: User, password: str,
                 keep: LoginSession | None = None) -> None:
    """Store a new password (checked by the caller) and end every login of the account
    made so far but ``keep`` (the caller's own, see logins.end_all_logins): a leaked or
    copied cookie must not outlive the old password."""
    user.password_hash = hash_password(password)
    end_all_logins(session, user, keep=keep)


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(hash_method()), password)
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def add_member(session: Session, email: str, restaurant: Restaurant, role: str) -> User:
    """Give the existing account ``email`` the restaurant with ``role`` (kept if it is
    already a member with that role). Raises LookupError when there is no such account."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise LookupError(email)
    membership = session.get(Membership, (user.id, restaurant.id))
    if membership is None:
        session.add(Membership(user_id=user.id, restaurant_id=restaurant.id, role=role))
    else:
        membership.role = role
    session.flush()
    return user


def ensure_owner(
    session: Session, email: str, password: str, restaurant: Restaurant | None = None,
    role: str = "owner",
) -> tuple[User, bool]:
    """Create the account (or reset its password) and give it the restaurant; idempotent.

    Returns the user and whether it was created."""
    email = email.strip().lower()
    problem = password_problem(password, email)
    if problem:
        raise ValueError(problem)
    user = session.scalar(select(User).where(User.email == email))
    created = user is None
    if user is None:
        user = User(email=email, password_hash=hash_password(password))
        session.add(user)
    elif not check_password_hash(user.password_hash, password):
        set_password(session, user, password)  # a reset: every session so far ends
    session.flush()
    if restaurant is not None:
        membership = session.get(Membership, (user.id, restaurant.id))
        if membership is None:
            session.add(Membership(user_id=user.id, restaurant_id=restaurant.id, role=role))
        else:
            membership.role = role
    return user, created
