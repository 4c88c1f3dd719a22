"""Sign-up (/signup), verifying the address (/a/verify/<token>) and the publishing rule:
a restaurant made at sign-up takes no guest bookings until its owner's address is
verified and the page is published."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import make_owner, make_restaurant
from webapp.booking.operations import accounts
from webapp.models import Restaurant


def unpublished(session, slug: str) -> Restaurant:
    restaurant = make_restaurant(session, slug=slug)
    restaurant.published_at = None
    session.commit()
    return restaurant


def test_publishing_needs_a_verified_owner(session):
    restaurant = unpublished(session, "chez-new")
    owner = make_owner(session, restaurant, "new@example.com")
    owner.email_verified_at = None
    session.commit()

    assert not accounts.can_publish(restaurant, owner)
    with pytest.raises(accounts.PublishRefused) as refused:
        accounts.publish(session, restaurant, owner)
    assert refused.value.message == "Verify your e-mail address first: we sent you a link."
    session.expire_all()
    assert session.scalar(select(Restaurant.published_at).where(Restaurant.slug == "chez-new")) \
        is None

    owner.email_verified_at = owner.created_at
    session.commit()
    assert accounts.can_publish(restaurant, owner)
    accounts.publish(session, restaurant, owner)
    session.expire_all()
    published = session.scalar(select(Restaurant.published_at)
                               .where(Restaurant.slug == "chez-new"))
    assert published is not None
    accounts.publish(session, restaurant, owner)  # again: nothing changes
    session.expire_all()
    assert session.scalar(select(Restaurant.published_at)
                          .where(Restaurant.slug == "chez-new")) == published


def test_only_an_owner_publishes(session):
    restaurant = unpublished(session, "chez-staff")
    staff = make_owner(session, restaurant, "staff@example.com", role="staff")
    stranger = make_owner(session, None, "stranger@example.com")
    for user in (staff, stranger):
        assert accounts.publish_problem(restaurant, user) == accounts.NOT_AN_OWNER
        with pytest.raises(accounts.PublishRefused):
            accounts.publish(session, restaurant, user)
