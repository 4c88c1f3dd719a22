"""Accounts: sign-up, proving an e-mail address, a forgotten password, and the rule for
publishing a restaurant's guest page.

Plain Python like the other operations: the views (``webapp/auth/signup.py``,
``recovery.py``, ``verification.py``) read a form and call one function here; each
writes in its own transaction and commits (as ``setup.py``'s operations do), and
returns the ids of the outbox e-mails it wrote, which the caller hands to the sender
after the commit. Links in those e-mails come from ``AccountUrls``, which the web side
builds from ``PUBLIC_BASE_URL`` (never from the request's Host header).

Nothing here tells a caller whether an address has an account: sign-up with a known
address and "forgot password" with an unknown one do the same lookup, write one e-mail
and give the same answer; only the e-mail, which goes to that address, says more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...auth.passwords import hash_password, password_problem, set_password
from ...i18n import gettext as _
from ...models import Restaurant, User
from ...notifications.outbox import queue_account_mail
from ..errors import BookingError
from . import links
from .committing import committed
from .restaurants import create_named_restaurant, timezone_problem
from .setup import SetupRefused

PRODUCT = "Booking Manager"
VERIFY_FIRST = "Verify your e-mail address first: we sent you a link."
NOT_AN_OWNER = "Only an owner of this restaurant can publish its page."
# What the guest page and the public API answer (404) for a restaurant not published yet.
NOT_PUBLISHED = "This restaurant is not taking bookings online yet."


@dataclass(frozen=True)
class AccountUrls:
    """Absolute addresses for the e-mails: ``link(purpose, token)`` is a one-time link's
    page (/a/verify/…, /a/reset/…), ``login``, ``forgot`` and ``signup`` the pages named."""

    link: Callable[[str, str], str]
    login: str
    forgot: str
    signup: str = ""


class AccountRefused(BookingError):
    """Input the account operations refuse; ``field`` names what to correct."""

    code = "account_refused"
    http_status = 422

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, field=field)


class PublishRefused(BookingError):
    code = "publish_refused"
    http_status = 409


@dataclass
class Outcome:
    """What an operation did: the account it concerns (None when the caller must not
    learn of one), the restaurant a sign-up made, the outbox e-mails to send."""

    user: User | None = None
    restaurant: Restaurant | None = None
    email_ids: list[int] = field(default_factory=list)


def _normal(email: str) -> str:
    return email.strip().lower()


def _sentence(problem: str) -> str:
    # password_problem speaks in the CLI's lower-case clauses; pages show sentences.
    return problem[0].upper() + problem[1:] + "."


def _user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


# --------------------------------------------------------------------------- sign-up


def sign_up(session: Session, email: str, password: str, restaurant_name: str, *,
            urls: AccountUrls, timezone: str = "") -> Outcome:
    """A new owner account (its address not yet verified) with a new, unpublished
    restaurant still to onboard, and the e-mail with the verification link; committed.

    For an address that has an account already nothing is created: that address gets a
    note instead, and the outcome names no user, so the caller answers as for a new one.
    ``timezone`` is the browser's guess; an unknown or missing one is UTC until
    onboarding asks. Raises AccountRefused (field ``password`` or ``restaurant_name``)."""
    email = _normal(email)
    problem = password_problem(password, email)
    if problem:
        raise AccountRefused(_sentence(problem), field="password")
    name = restaurant_name.strip()
    if not name or len(name) > 120:
        raise AccountRefused("Give the restaurant's name (at most 120 characters).",
                             field="restaurant_name")
    zone = timezone.strip() if timezone and not timezone_problem(timezone.strip()) else "UTC"
    # Hashed before the lookup, on both paths: the known address must not answer faster.
    password_hash = hash_password(password)
    with committed(session):
        if _user_by_email(session, email) is not None:
            outcome = _someone_has_it(session, email, urls)
        else:
            outcome = _new_owner(session, email, password_hash, name, zone, urls)
    return outcome


def _new_owner(session: Session, email: str, password_hash: str, name: str, zone: str,
               urls: AccountUrls) -> Outcome:
    user = User(email=email, password_hash=password_hash)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except sa_exc.IntegrityError:
        # A sign-up with the same address committed in between: answer as for a known one.
        return _someone_has_it(session, email, urls)
    # The ORM leaves a None given to the constructor out of the INSERT, so the column's
    # default (now: accounts made any other way count as verified) filled it in.
    user.email_verified_at = None
    try:
        restaurant = create_named_restaurant(session, name=name, timezone=zone, owner=user)
    except SetupRefused as refusal:
        raise AccountRefused(refusal.message, field="restaurant_name") from None
    mail_id = _queue_verification(session, user, urls, restaurant_name=name)
    return Outcome(user=user, restaurant=restaurant, email_ids=[mail_id])


def _someone_has_it(session: Session, email: str, urls: AccountUrls) -> Outcome:
    body = (
        _("Hello,") + "\n\n"
        + _("Someone (perhaps you) tried to sign up for %(product)s with this address. It "
            "already has an account, so nothing was created or changed.", product=PRODUCT)
        + "\n\n" + _("To log in: %(url)s", url=urls.login) + "\n"
        + _("Forgot your password? Ask for a new one here: %(url)s", url=urls.forgot)
        + "\n\n" + _("If it was not you, you can ignore this e-mail.") + "\n"
    )
    mail_id = queue_account_mail(session, "signup_existing", email,
                                 _("Sign-up with your address at %(product)s",
                                   product=PRODUCT), body)
    return Outcome(email_ids=[mail_id])


# --------------------------------------------------------------------------- verification


def _queue_verification(session: Session, user: User, urls: AccountUrls, *,
                        restaurant_name: str = "") -> int:
    _link, token = links.issue(session, "verify_email", user.email, user=user)
    days = links.LIFETIMES["verify_email"].days
    signed_up = (
        _("You signed up for %(product)s with this address to run %(restaurant)s's "
          "bookings.", product=PRODUCT, restaurant=restaurant_name) if restaurant_name
        else _("You signed up for %(product)s with this address.", product=PRODUCT))
    body = (
        _("Hello,") + "\n\n" + signed_up + " "
        + _("Please confirm that it is yours by opening this link within %(days)s days:",
            days=days)
        + f"\n\n{urls.link('verify_email', token)}\n\n"
        + _("You can set up everything before that; guests can book once the address is "
            "confirmed and you publish your page.") + "\n\n"
        + _("If you did not sign up, ignore this e-mail: nothing happens without the link.")
        + "\n"
    )
    return queue_account_mail(session, "verify_email", user.email,
                              _("Confirm your e-mail address for %(product)s",
                                product=PRODUCT), body)


def send_verification(session: Session, user: User, urls: AccountUrls) -> Outcome:
    """A new verification link for an account not yet verified (the older links stop
    working); committed. Nothing is sent for a verified address."""
    if user.email_verified_at is not None:
        return Outcome(user=user)
    with committed(session):
        mail_id = _queue_verification(session, user, urls)
    return Outcome(user=user, email_ids=[mail_id])


def verify_email(session: Session, token: str) -> User:
    """Take a verification link: its account's address counts as proven from now on;
    committed. Raises links.LinkRefused (unknown, expired, used, revoked)."""
    with committed(session):
        link = links.take(session, "verify_email", token)
        user = session.get(User, link.user_id) if link.user_id is not None else None
        if user is None or user.email != link.email:
            raise links.LinkRefused("unknown")  # its account is gone or has another address
        if user.email_verified_at is None:
            user.email_verified_at = clock.now()
    return user


# --------------------------------------------------------------------------- recovery


def request_password_reset(session: Session, email: str, urls: AccountUrls) -> Outcome:
    """The e-mail with a reset link (an hour, once) for the account ``email``; for an
    address without a (working) account a note saying so. Committed; the outcome names
    no user either way, so the answer cannot tell the two apart."""
    email = _normal(email)
    with committed(session):
        user = _user_by_email(session, email)
        if user is not None and user.active:
            _link, token = links.issue(session, "reset_password", email, user=user)
            minutes = int(links.LIFETIMES["reset_password"].total_seconds() // 60)
            body = (
                _("Hello,") + "\n\n"
                + _("Someone (perhaps you) asked to reset the password of your %(product)s "
                    "account. Choose a new one here within %(minutes)s minutes (the link "
                    "works once):", product=PRODUCT, minutes=minutes)
                + f"\n\n{urls.link('reset_password', token)}\n\n"
                + _("Setting it logs the account out on every device. If you did not ask, "
                    "ignore this e-mail: your password stays as it is.") + "\n"
            )
            mail_id = queue_account_mail(session, "reset_password", email,
                                         _("Reset your %(product)s password",
                                           product=PRODUCT), body)
        else:
            # The same work as for a known address (a lookup, a link written, one e-mail),
            # so neither the answer nor its time tells an account apart. The link belongs
            # to no account, so it opens nothing; it is not in the e-mail either.
            links.issue(session, "reset_password", email)
            signup = ("\n" + _("To sign up instead: %(url)s", url=urls.signup) + "\n"
                      if urls.signup else "")
            body = (
                _("Hello,") + "\n\n"
                + _("Someone (perhaps you) asked to reset the password of a %(product)s "
                    "account for this address, but there is no account with it. Perhaps "
                    "you signed up with another address?", product=PRODUCT)
                + f"\n{signup}\n" + _("If it was not you, you can ignore this e-mail.")
                + "\n"
            )
            mail_id = queue_account_mail(session, "reset_unknown", email,
                                         _("Password reset at %(product)s", product=PRODUCT),
                                         body)
    return Outcome(email_ids=[mail_id])


def reset_link_account(session: Session, token: str) -> User:
    """The account a reset link is for, the link left unused (to show the form).
    Raises links.LinkRefused."""
    link = links.peek(session, "reset_password", token)
    user = session.get(User, link.user_id) if link.user_id is not None else None
    if user is None or user.email != link.email or not user.active:
        raise links.LinkRefused("unknown")
    return user


def reset_password(session: Session, token: str, password: str) -> User:
    """Take a reset link and give its account ``password``: every login of the account
    so far ends (logins.end_all_logins), and the address counts as proven (the link
    reached it); committed. Raises AccountRefused (field ``password``), checked before
    the link is used up, or links.LinkRefused."""
    user = reset_link_account(session, token)
    problem = password_problem(password, user.email)
    if problem:
        raise AccountRefused(_sentence(problem), field="password")
    with committed(session):
        links.take(session, "reset_password", token)
        set_password(session, user, password)
        if user.email_verified_at is None:
            user.email_verified_at = clock.now()
    return user


# --------------------------------------------------------------------------- publishing


def publish_problem(restaurant: Restaurant, user: User) -> str | None:
    """Why ``user`` cannot publish ``restaurant``'s guest page (None when they can): only
    its owners, and only with a verified address, so that a page taking guests' bookings
    always has someone reachable behind it."""
    if not any(m.restaurant_id == restaurant.id and m.role == "owner"
               for m in user.memberships):
        return NOT_AN_OWNER
    if user.email_verified_at is None:
        return VERIFY_FIRST
    return None


def can_publish(restaurant: Restaurant, user: User) -> bool:
    return publish_problem(restaurant, user) is None


def publish(session: Session, restaurant: Restaurant, user: User) -> Restaurant:
    """Open the guest page (``/r/<slug>``, the public API) for bookings; committed. Raises
    PublishRefused with the reason; publishing a published restaurant changes nothing."""
    problem = publish_problem(restaurant, user)
    if problem:
        raise PublishRefused(problem, field="publish")
    if restaurant.published_at is None:
        with committed(session):
            restaurant.published_at = clock.now()
    return restaurant


def is_published(restaurant: Restaurant) -> bool:
    return restaurant.published_at is not None


__all__ = [
    "VERIFY_FIRST", "NOT_PUBLISHED", "AccountUrls", "AccountRefused", "PublishRefused",
    "Outcome", "sign_up", "send_verification", "verify_email", "request_password_reset",
    "reset_link_account", "reset_password", "publish_problem", "can_publish", "publish",
    "is_published",
]
