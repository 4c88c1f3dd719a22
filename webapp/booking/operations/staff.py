"""A restaurant's staff: members and their roles, invitations by e-mail, joining.

Owners invite people by e-mail with a role (owner or staff); the invitation is a
one-time link (``links.py``: 72 hours, once, not after a newer one or a revocation)
e-mailed through the outbox in the transaction that makes it. Accepting adds the
membership to the account whose address the link went to, or makes that account (its
address counts as verified: the link proved it).

**A restaurant always keeps an owner.** Demoting or removing a member who is an owner
counts the owners first, and the count and the change happen under a lock on the
restaurant's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's writers are
serialized by ``BEGIN IMMEDIATE``), so two owners demoting each other at the same
moment cannot both pass the count: the second waits, counts again, and is refused.
Without the lock both would count two owners and leave none (the race test shows it
with the lock switched off).

Each use case writes in its own transaction and commits; a refusal rolls back and
raises :class:`StaffRefused`. Rows of another restaurant are :class:`LookupError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from ... import clock
from ...i18n import N_
from ...i18n import gettext as _
from ...models import ROLES, AccountLink, Membership, Restaurant, User
from ...notifications.outbox import queue_account_mail
from ..errors import BookingError
from ..transaction import DEFAULT_POLICY, WritePolicy, write_transaction
from . import links
from .committing import committed

AnySession = Session | scoped_session[Any]
T = TypeVar("T")

INVITATION = "invitation"
LAST_OWNER = ("{name} is the only owner of {restaurant}. Make another member an owner "
              "first: a restaurant always keeps one.")
# Marked with N_ for the catalog; invitation_mail translates them as it writes.
ROLE_WORDS = {"owner": N_("an owner (everything, also the set-up and the staff)"),
              "staff": N_("staff (the day's bookings)")}

# Called after the owner count passed and before the change is written (the race test
# holds two writers there to show what the lock prevents). Must not raise.
AFTER_OWNER_CHECK: list[Callable[[], None]] = []


class StaffRefused(BookingError):
    """A change of the staff that cannot be made; ``field`` names what to correct."""

    code = "staff_refused"
    http_status = 409


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    name: str
    role: str
    # The only owner: cannot be demoted or removed.
    last_owner: bool


@dataclass(frozen=True)
class Invited:
    """A pending invitation as the Staff page lists it."""

    id: int
    email: str
    role: str
    sent_at: dt.datetime
    expires_at: dt.datetime
    invited_by: str

    @property
    def expired(self) -> bool:
        return self.expires_at <= clock.now()


@dataclass(frozen=True)
class Sent:
    """An invitation just made: its row and the outbox e-mail to deliver after commit."""

    invitation: AccountLink
    mail_id: int


# --------------------------------------------------------------------------- reading


def members(session: AnySession, restaurant: Restaurant) -> list[Member]:
    """Everyone with access to the restaurant, owners first, then by e-mail."""
    rows = session.execute(
        select(User.id, User.email, User.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.restaurant_id == restaurant.id)
        .order_by(Membership.role != "owner", User.email)).all()
    owners = sum(1 for row in rows if row.role == "owner")
    return [Member(row.id, row.email, row.name, row.role,
                   last_owner=row.role == "owner" and owners == 1) for row in rows]


def is_member(session: AnySession, restaurant: Restaurant, user_id: int) -> bool:
    return session.get(Membership, (user_id, restaurant.id)) is not None


def pending_invitations(session: AnySession, restaurant: Restaurant) -> list[Invited]:
    """Invitations not yet used or revoked, newest first (expired ones too: the owner
    may send them again)."""
    inviter = User.__table__.alias("inviter")
    rows = session.execute(
        select(AccountLink.id, AccountLink.email, AccountLink.role, AccountLink.created_at,
               AccountLink.expires_at, inviter.c.email.label("invited_by"))
        .outerjoin(inviter, inviter.c.id == AccountLink.invited_by_id)
        .where(AccountLink.restaurant_id == restaurant.id, AccountLink.purpose == INVITATION,
               AccountLink.used_at.is_(None), AccountLink.revoked_at.is_(None))
        .order_by(AccountLink.created_at.desc(), AccountLink.id.desc())).all()
    return [Invited(row.id, row.email, row.role or "staff", row.created_at, row.expires_at,
                    row.invited_by or "") for row in rows]


def _pending(session: AnySession, restaurant: Restaurant, invitation_id: int) -> AccountLink:
    link = session.scalar(select(AccountLink).where(
        AccountLink.id == invitation_id, AccountLink.restaurant_id == restaurant.id,
        AccountLink.purpose == INVITATION, AccountLink.used_at.is_(None),
        AccountLink.revoked_at.is_(None)))
    if link is None:
        raise LookupError(invitation_id)
    return link


def _membership(session: AnySession, restaurant: Restaurant, user_id: int) -> Membership:
    membership = session.get(Membership, (user_id, restaurant.id))
    if membership is None:
        raise LookupError(user_id)
    return membership


# --------------------------------------------------------------------------- inviting


def _role(role: str) -> str:
    if role not in ROLES:
        raise StaffRefused(f"A role is one of {', '.join(ROLES)}.", field="role")
    return role


def _commit_or_roll_back(session: AnySession, work: Callable[[], T]) -> T:
    with committed(session):
        result = work()
    return result


def invitation_mail(restaurant: Restaurant, role: str, inviter: User | None, url: str
                    ) -> tuple[str, str]:
    """Subject and text of the invitation e-mail."""
    who = (inviter.name or inviter.email) if inviter is not None else _("An owner")
    hours = int(links.LIFETIMES[INVITATION].total_seconds() // 3600)
    subject = _("Join %(restaurant)s on Booking Manager", restaurant=restaurant.name)
    body = (_("%(who)s invites you to %(restaurant)s on Booking Manager as %(role)s.",
              who=who, restaurant=restaurant.name, role=_(ROLE_WORDS[role])) + "\n\n"
            + _("Accept the invitation here (the link works once, for %(hours)s hours):",
                hours=hours) + f"\n{url}\n\n"
            + _("If you did not expect this e-mail, ignore it: nothing happens without the "
                "link.") + "\n")
    return subject, body


def _send(session: AnySession, restaurant: Restaurant, email: str, role: str,
          inviter: User | None, link_for: Callable[[str], str]) -> Sent:
    """Issue the link (older open invitations of this address here stop working) and
    queue its e-mail, in the caller's transaction."""
    link, clear = links.issue(session, INVITATION, email, restaurant=restaurant, role=role,
                              invited_by=inviter)
    subject, body = invitation_mail(restaurant, role, inviter, link_for(clear))
    mail_id = queue_account_mail(_real(session), INVITATION, link.email, subject, body)
    return Sent(link, mail_id)


def invite(session: AnySession, restaurant: Restaurant, email: str, role: str,
           inviter: User | None, link_for: Callable[[str], str]) -> Sent:
    """Invite ``email`` with ``role`` (the form checked the address's shape). Refused
    when the address already belongs to a member. ``link_for(token)`` is the absolute
    address of the invitation page. Committed; deliver ``mail_id`` afterwards."""
    email = email.strip().lower()
    role = _role(role)

    def work() -> Sent:
        member = session.scalar(
            select(User.id).join(Membership, Membership.user_id == User.id)
            .where(User.email == email, Membership.restaurant_id == restaurant.id))
        if member is not None:
            raise StaffRefused(f"{email} is already a member of {restaurant.name}; change "
                               "their role in the list instead.", field="email")
        return _send(session, restaurant, email, role, inviter, link_for)

    return _commit_or_roll_back(session, work)


def resend(session: AnySession, restaurant: Restaurant, invitation_id: int,
           inviter: User | None, link_for: Callable[[str], str]) -> Sent:
    """A new link for a pending (possibly expired) invitation, with its own 72 hours;
    the old link stops working. Committed."""
    def work() -> Sent:
        old = _pending(session, restaurant, invitation_id)
        return _send(session, restaurant, old.email, old.role or "staff", inviter, link_for)

    return _commit_or_roll_back(session, work)


def revoke(session: AnySession, restaurant: Restaurant, invitation_id: int) -> AccountLink:
    """Withdraw a pending invitation: its link stops working. Committed."""
    def work() -> AccountLink:
        link = _pending(session, restaurant, invitation_id)
        link.revoked_at = clock.now()
        return link

    return _commit_or_roll_back(session, work)


# --------------------------------------------------------------------------- members


def _lock_restaurant(session: AnySession, restaurant_id: int, lock: bool) -> None:
    """The staff's lock: the restaurant's row, held to the end of the transaction.
    SQLite has no row locks; write_transaction's BEGIN IMMEDIATE serialized us already."""
    if lock and session.get_bind().dialect.name == "postgresql":
        session.execute(select(Restaurant.id).where(Restaurant.id == restaurant_id)
                        .with_for_update())


def _owner_count(session: AnySession, restaurant_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Membership).where(
        Membership.restaurant_id == restaurant_id, Membership.role == "owner")) or 0


def _real(session: AnySession) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _staff_write(session: AnySession, restaurant: Restaurant, user_id: int,
                 new_role: str | None, *, lock: bool, policy: WritePolicy) -> Membership:
    """Give the member ``new_role`` (None: remove them), keeping an owner."""
    restaurant_id = restaurant.id
    real = _real(session)
    with write_transaction(real, policy):
        _lock_restaurant(real, restaurant_id, lock)
        # Read under the lock: the role as it is now, not as the page showed it.
        membership = real.scalar(select(Membership).where(
            Membership.user_id == user_id, Membership.restaurant_id == restaurant_id)
            .execution_options(populate_existing=True))
        if membership is None:
            raise LookupError(user_id)
        if membership.role == "owner" and new_role != "owner":
            if _owner_count(real, restaurant_id) <= 1:
                user = real.get_one(User, user_id)
                raise StaffRefused(LAST_OWNER.format(name=user.name or user.email,
                                                     restaurant=restaurant.name), field="role")
            for hook in AFTER_OWNER_CHECK:
                hook()
        if new_role is None:
            real.delete(membership)
        else:
            membership.role = new_role
        real.flush()
    return membership


def change_role(session: AnySession, restaurant: Restaurant, user_id: int, role: str, *,
                lock: bool = True, policy: WritePolicy = DEFAULT_POLICY) -> Membership:
    """Give a member another role. The only owner stays an owner (StaffRefused), also
    when they demote themselves. ``lock=False`` only in the race test's control run."""
    return _staff_write(session, restaurant, user_id, _role(role), lock=lock, policy=policy)


def remove_member(session: AnySession, restaurant: Restaurant, user_id: int, *,
                  lock: bool = True, policy: WritePolicy = DEFAULT_POLICY) -> Membership:
    """Take the restaurant away from a member (their account stays, with its other
    restaurants). The only owner cannot be removed (StaffRefused), also not by
    themselves."""
    return _staff_write(session, restaurant, user_id, None, lock=lock, policy=policy)


# --------------------------------------------------------------------------- joining


@dataclass(frozen=True)
class Invitation:
    """What the invitation page shows: the restaurant, the role, for whom, from whom."""

    link: AccountLink
    restaurant: Restaurant
    role: str
    email: str
    invited_by: str
    # The account with the invited address, when there is one.
    account: User | None


def look_up(session: AnySession, clear: str) -> Invitation:
    """The usable invitation behind a link's token (nothing changes). Raises
    links.LinkRefused (unknown: 404; expired, used, revoked: 410)."""
    link = links.peek(session, INVITATION, clear)
    restaurant = session.get(Restaurant, link.restaurant_id) if link.restaurant_id else None
    if restaurant is None:  # the restaurant was deleted: the link leads nowhere
        raise links.LinkRefused("unknown")
    inviter = session.get(User, link.invited_by_id) if link.invited_by_id else None
    account = session.scalar(select(User).where(User.email == link.email))
    return Invitation(link, restaurant, link.role or "staff", link.email,
                      (inviter.name or inviter.email) if inviter else "", account)


@dataclass(frozen=True)
class NewAccount:
    """An account made by accepting: its name and the hash of the chosen password (the
    caller checked the password against passwords.password_problem)."""

    name: str
    password_hash: str


@dataclass(frozen=True)
class Joined:
    user: User
    restaurant: Restaurant
    role: str
    created_account: bool


def accept(session: AnySession, clear: str, *, user: User | None = None,
           new_account: NewAccount | None = None,
           before_commit: Callable[[User], None] | None = None) -> Joined:
    """Use the invitation: the logged-in ``user`` (whose address must be the invited
    one) or a ``new_account`` for the invited address joins the restaurant with the
    invited role. A member already keeps their role unless the invitation makes them an
    owner (accepting never demotes, so it cannot take a restaurant's last owner away).
    ``before_commit(user)`` runs in the same transaction (the page starts the login).
    Committed. Raises links.LinkRefused or StaffRefused; nothing changes then."""
    if (user is None) == (new_account is None):
        raise ValueError("give either the logged-in user or a new account")

    def work() -> Joined:
        link = links.take(session, INVITATION, clear)
        restaurant = session.get(Restaurant, link.restaurant_id) if link.restaurant_id else None
        if restaurant is None:
            raise links.LinkRefused("unknown")
        account = user
        created = False
        if account is None:
            assert new_account is not None
            if session.scalar(select(User.id).where(User.email == link.email)) is not None:
                raise StaffRefused(f"There is already an account for {link.email}: log in "
                                   "with it to accept.", field="email")
            account = User(email=link.email, name=new_account.name.strip()[:120],
                           password_hash=new_account.password_hash,
                           email_verified_at=clock.now(), created_at=clock.now())
            session.add(account)
            session.flush()
            created = True
        elif account.email != link.email:
            raise StaffRefused(f"This invitation is for {link.email}; you are logged in as "
                               f"{account.email}.", field="email")
        role = link.role or "staff"
        membership = session.get(Membership, (account.id, restaurant.id))
        if membership is None:
            session.add(Membership(user_id=account.id, restaurant_id=restaurant.id, role=role))
        elif role == "owner":
            membership.role = "owner"
        else:
            role = membership.role
        if account.email_verified_at is None:
            account.email_verified_at = clock.now()  # the link proved the address
        session.flush()
        if before_commit is not None:
            before_commit(account)
        return Joined(account, restaurant, role, created)

    try:
        return _commit_or_roll_back(session, work)
    except sa_exc.IntegrityError:
        # Two accepts making the same account at once: the unique e-mail refused one.
        raise StaffRefused("An account with this address was just made: log in with it to "
                           "accept.", field="email") from None
