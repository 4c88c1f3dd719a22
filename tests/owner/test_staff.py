"""The Staff page and invitations: invite by e-mail (outbox), accept as a new account or
with the matching account, refusals (expired, used, revoked, re-sent, unknown, another
account logged in), the last owner, who may see what. On PostgreSQL and SQLite."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from webapp.booking.operations import staff as staff_ops
from webapp.models import AccountLink, Membership, OutboxEmail, User
from webapp.notifications.outbox import deliver_due

LINK = re.compile(r"https?://[^\s]+/a/invite/([A-Za-z0-9_\-]+)")


def invite(client, email: str, role: str = "staff", ref: str = "chez-test"):
    return client.post_form(f"/owner/{ref}/staff/invite", {"email": email, "role": role})


def invitation_mails(session, email: str) -> list[OutboxEmail]:
    session.expire_all()
    return list(session.scalars(select(OutboxEmail).where(
        OutboxEmail.kind == "invitation", OutboxEmail.to_address == email)
        .order_by(OutboxEmail.id)))


def token_sent_to(session, email: str) -> str:
    mails = invitation_mails(session, email)
    assert mails, f"no invitation e-mail to {email}"
    match = LINK.search(mails[-1].body_text)
    assert match, mails[-1].body_text
    return match.group(1)


def membership(session, email: str, restaurant) -> Membership | None:
    session.expire_all()
    user = session.scalar(select(User).where(User.email == email))
    return session.get(Membership, (user.id, restaurant.id)) if user else None


def log_out(client):
    client.post_form("/logout")


def test_invite_then_accept_as_a_new_account(owner_client, client, session, restaurant):
    page = owner_client.get("/owner/chez-test/staff")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "owner@example.com" in html and "the only one" in html
    assert 'aria-current="page">Staff</a>' in html

    sent = invite(owner_client, "Cook@Example.com", "staff")
    assert sent.status_code == 303
    [mail] = invitation_mails(session, "cook@example.com")
    assert mail.subject == "Join Chez Test on Booking Manager"
    assert "72 hours" in mail.body_text and "as staff" in mail.body_text
    token = token_sent_to(session, "cook@example.com")
    listing = owner_client.get("/owner/chez-test/staff").get_data(as_text=True)
    assert "cook@example.com" in listing and "Pending invitations" in listing
    log_out(owner_client)

    shown = client.get(f"/a/invite/{token}")
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Join Chez Test" in text and "<strong>staff</strong>" in text
    assert "Make your account" in text
    joined = client.post_form(f"/a/invite/{token}", {
        "name": "Carla Cook", "password": "a-long-kitchen-pass", "confirm": "a-long-kitchen-pass"})
    assert joined.status_code == 303 and joined.headers["Location"].endswith("/owner/chez-test/")
    user = session.scalar(select(User).where(User.email == "cook@example.com"))
    assert user.name == "Carla Cook" and user.email_verified_at is not None
    assert membership(session, "cook@example.com", restaurant).role == "staff"
    # Logged in: the day view opens; staff do not get the Staff page.
    client._csrf = None
    assert client.get("/owner/chez-test/", follow_redirects=True).status_code == 200
    assert client.get("/owner/chez-test/staff").status_code == 403
    # The link worked once.
    log_out(client)
    again = client.get(f"/a/invite/{token}")
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)
    assert client.post_form(f"/a/invite/{token}", {
        "name": "X", "password": "another-long-pass", "confirm": "another-long-pass"}
    ).status_code == 410
    # With the password chosen, the account logs in.
    client.login("cook@example.com", "a-long-kitchen-pass")


def test_accept_as_the_logged_in_matching_account(owner_client, client, session, restaurant,
                                                  app):
    other = make_restaurant(session, slug="other-place", name="Other Place")
    make_owner(session, other, "sous@example.com")
    invite(owner_client, "sous@example.com", "owner")
    token = token_sent_to(session, "sous@example.com")
    log_out(owner_client)
    client.login("sous@example.com", DEFAULT_PASSWORD)
    page = client.get(f"/a/invite/{token}").get_data(as_text=True)
    assert "Join Chez Test</button>" in page and "<strong>an owner</strong>" in page
    # Accepting ignores the sign-up setting: the invitation is the permission.
    before = app.config.get("SIGNUP")
    app.config["SIGNUP"] = "closed"
    try:
        joined = client.post_form(f"/a/invite/{token}")
    finally:
        if before is None:
            app.config.pop("SIGNUP", None)
        else:
            app.config["SIGNUP"] = before
    assert joined.status_code == 303
    assert membership(session, "sous@example.com", restaurant).role == "owner"
    assert membership(session, "sous@example.com", other).role == "owner"  # keeps the other
    assert client.get("/owner/chez-test/staff").status_code == 200


def test_logged_in_under_another_address_is_told_to_log_out(owner_client, session, restaurant):
    invite(owner_client, "waiter@example.com")
    token = token_sent_to(session, "waiter@example.com")
    page = owner_client.get(f"/a/invite/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Log out first" in text and "owner@example.com" in text
    refused = owner_client.post_form(f"/a/invite/{token}")
    assert refused.status_code == 409
    assert membership(session, "waiter@example.com", restaurant) is None
    # The link still works for the right person.
    session.expire_all()
    assert session.scalar(select(AccountLink).where(AccountLink.email == "waiter@example.com")
                          ).used_at is None


def test_an_existing_account_logs_in_first(owner_client, client, session, restaurant):
    make_owner(session, None, "known@example.com")
    invite(owner_client, "known@example.com")
    token = token_sent_to(session, "known@example.com")
    log_out(owner_client)
    page = client.get(f"/a/invite/{token}").get_data(as_text=True)
    assert "Log in to accept" in page and f"next=/a/invite/{token}" in page
    assert client.post_form(f"/a/invite/{token}", {
        "name": "Known", "password": "a-long-kitchen-pass", "confirm": "a-long-kitchen-pass"}
    ).status_code == 409
    assert membership(session, "known@example.com", restaurant) is None
    # Logging in leads back to the invitation, which then joins.
    response = client.post_form(f"/login?next=/a/invite/{token}",
                                {"email": "known@example.com", "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == f"/a/invite/{token}"
    client._csrf = None
    assert client.post_form(f"/a/invite/{token}").status_code == 303
    assert membership(session, "known@example.com", restaurant).role == "staff"


def test_new_account_input_is_checked(owner_client, client, session):
    invite(owner_client, "new@example.com")
    token = token_sent_to(session, "new@example.com")
    log_out(owner_client)
    short = client.post_form(f"/a/invite/{token}", {"name": "N", "password": "short",
                                                    "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    differ = client.post_form(f"/a/invite/{token}", {
        "name": "N", "password": "a-long-kitchen-pass", "confirm": "a-long-kitchen-pasS"})
    assert differ.status_code == 422 and "The two passwords differ" in differ.get_data(as_text=True)
    with_email = client.post_form(f"/a/invite/{token}", {
        "name": "N", "password": "new@example.com-123", "confirm": "new@example.com-123"})
    assert with_email.status_code == 422
    assert "must not contain the e-mail address" in with_email.get_data(as_text=True)
    no_csrf = client.post(f"/a/invite/{token}", data={
        "name": "N", "password": "a-long-kitchen-pass", "confirm": "a-long-kitchen-pass"})
    assert no_csrf.status_code == 400
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "new@example.com")) is None
    assert client.get(f"/a/invite/{token}").status_code == 200  # still unused


def test_expired_invitation(owner_client, client, session, clock, restaurant):
    invite(owner_client, "late@example.com")
    token = token_sent_to(session, "late@example.com")
    log_out(owner_client)
    clock.advance(hours=71, minutes=59)
    assert client.get(f"/a/invite/{token}").status_code == 200
    clock.advance(minutes=1)
    page = client.get(f"/a/invite/{token}")
    assert page.status_code == 410 and "has expired" in page.get_data(as_text=True)
    assert client.post_form(f"/a/invite/{token}", {
        "name": "Late", "password": "a-long-kitchen-pass", "confirm": "a-long-kitchen-pass"}
    ).status_code == 410
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "late@example.com")) is None
    # The owner sees it expired and can send it again.
    owner_client.login("owner@example.com", DEFAULT_PASSWORD)
    assert "expired" in owner_client.get("/owner/chez-test/staff").get_data(as_text=True)
    [expired] = staff_ops.pending_invitations(session, restaurant)
    assert expired.expired
    assert owner_client.post_form(f"/owner/chez-test/staff/invitations/{expired.id}/resend"
                                  ).status_code == 303
    fresh = token_sent_to(session, "late@example.com")
    assert fresh != token and owner_client.get(f"/a/invite/{fresh}").status_code == 200


def test_revoked_and_resent_invitations(owner_client, client, session, restaurant):
    invite(owner_client, "a@example.com")
    invite(owner_client, "b@example.com")
    first_a = token_sent_to(session, "a@example.com")
    token_b = token_sent_to(session, "b@example.com")
    pending = {i.email: i for i in staff_ops.pending_invitations(session, restaurant)}
    assert owner_client.post_form(
        f"/owner/chez-test/staff/invitations/{pending['a@example.com'].id}/resend"
    ).status_code == 303
    second_a = token_sent_to(session, "a@example.com")
    assert second_a != first_a and len(invitation_mails(session, "a@example.com")) == 2
    assert owner_client.post_form(
        f"/owner/chez-test/staff/invitations/{pending['b@example.com'].id}/revoke"
    ).status_code == 303
    listing = owner_client.get("/owner/chez-test/staff").get_data(as_text=True)
    # One row for a@ (the re-sent link replaced the first), none for the revoked b@.
    assert listing.count(">a@example.com</td>") == 1
    assert ">b@example.com</td>" not in listing
    log_out(owner_client)
    old = client.get(f"/a/invite/{first_a}")
    assert old.status_code == 410 and "replaced by a newer one" in old.get_data(as_text=True)
    revoked = client.get(f"/a/invite/{token_b}")
    assert revoked.status_code == 410 and "withdrawn" in revoked.get_data(as_text=True)
    assert client.get(f"/a/invite/{second_a}").status_code == 200
    unknown = client.get("/a/invite/not-a-real-token")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)


def test_inviting_again_replaces_the_link_and_members_are_refused(owner_client, session):
    invite(owner_client, "twice@example.com")
    first = token_sent_to(session, "twice@example.com")
    invite(owner_client, "twice@example.com", "owner")
    assert owner_client.get(f"/a/invite/{first}").status_code == 410
    member = invite(owner_client, "owner@example.com")
    assert member.status_code == 409 and "already a member" in member.get_data(as_text=True)
    bad = invite(owner_client, "not an address")
    assert bad.status_code == 422 and "does not look like" in bad.get_data(as_text=True)
    odd_role = invite(owner_client, "x@example.com", "admin")
    assert odd_role.status_code == 422
    assert invitation_mails(session, "x@example.com") == []


def test_the_outbox_redacts_the_invitation_link_once_sent(owner_client, session, app):
    invite(owner_client, "mailed@example.com")
    token = token_sent_to(session, "mailed@example.com")
    deliver_due(session, app.config)
    session.commit()
    [mail] = invitation_mails(session, "mailed@example.com")
    assert mail.status == "sent" and token not in mail.body_text and "/a/invite/" in mail.body_text


def test_the_last_owner_stays(owner_client, session, restaurant, owner):
    demote = owner_client.post_form(f"/owner/chez-test/staff/members/{owner.id}/role",
                                    {"role": "staff"})
    assert demote.status_code == 409
    assert "only owner of Chez Test" in demote.get_data(as_text=True)
    remove = owner_client.post_form(f"/owner/chez-test/staff/members/{owner.id}/remove")
    assert remove.status_code == 409
    assert membership(session, "owner@example.com", restaurant).role == "owner"
    # The page offers neither for the only owner.
    page = owner_client.get("/owner/chez-test/staff").get_data(as_text=True)
    assert f"/staff/members/{owner.id}/remove" not in page
    assert f"/staff/members/{owner.id}/role" not in page
    # With a second owner, either may go; then the other is the last one again.
    second = make_owner(session, restaurant, "second@example.com")
    assert owner_client.post_form(f"/owner/chez-test/staff/members/{second.id}/role",
                                  {"role": "staff"}).status_code == 303
    assert membership(session, "second@example.com", restaurant).role == "staff"
    assert owner_client.post_form(f"/owner/chez-test/staff/members/{second.id}/role",
                                  {"role": "owner"}).status_code == 303
    left = owner_client.post_form(f"/owner/chez-test/staff/members/{owner.id}/remove")
    assert left.status_code == 303 and left.headers["Location"] == "/owner/"
    assert membership(session, "owner@example.com", restaurant) is None
    assert owner_client.get("/owner/chez-test/staff").status_code == 404


def test_the_last_owner_rule_in_the_domain(session, restaurant, owner):
    with pytest.raises(staff_ops.StaffRefused, match="only owner"):
        staff_ops.change_role(session, restaurant, owner.id, "staff")
    with pytest.raises(staff_ops.StaffRefused, match="only owner"):
        staff_ops.remove_member(session, restaurant, owner.id)
    staff = make_owner(session, restaurant, "staffer@example.com", role="staff")
    staff_ops.remove_member(session, restaurant, staff.id)  # staff may always go
    assert membership(session, "owner@example.com", restaurant).role == "owner"
    assert membership(session, "staffer@example.com", restaurant) is None
    with pytest.raises(LookupError):
        staff_ops.change_role(session, restaurant, staff.id, "owner")


def test_staff_cannot_see_the_staff_page(client, session, restaurant, owner):
    make_owner(session, restaurant, "staff@example.com", role="staff")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    assert client.get("/owner/chez-test/staff").status_code == 403
    assert invite(client, "friend@example.com").status_code == 403
    assert client.post_form(f"/owner/chez-test/staff/members/{owner.id}/remove"
                            ).status_code == 403
    assert invitation_mails(session, "friend@example.com") == []
    day = client.get("/owner/chez-test/").get_data(as_text=True)
    assert "/owner/chez-test/staff" not in day


def test_other_restaurants_members_and_invitations_are_404(owner_client, session, restaurant):
    other = make_restaurant(session, slug="elsewhere", name="Elsewhere")
    theirs = make_owner(session, other, "boss@elsewhere.example")
    also_here = make_owner(session, restaurant, "both@example.com", role="staff")
    staff_ops.invite(session, other, "guest@elsewhere.example", "staff", theirs,
                     lambda token: f"http://test/a/invite/{token}")
    [link] = staff_ops.pending_invitations(session, other)
    assert owner_client.get("/owner/elsewhere/staff").status_code == 404
    for url, data in ((f"/owner/chez-test/staff/members/{theirs.id}/role", {"role": "staff"}),
                      (f"/owner/chez-test/staff/members/{theirs.id}/remove", {}),
                      (f"/owner/chez-test/staff/invitations/{link.id}/resend", {}),
                      (f"/owner/chez-test/staff/invitations/{link.id}/revoke", {}),
                      ("/owner/chez-test/staff/members/999999/remove", {})):
        assert owner_client.post_form(url, data).status_code == 404, url
    assert membership(session, "boss@elsewhere.example", other).role == "owner"
    assert [i.id for i in staff_ops.pending_invitations(session, other)] == [link.id]
    page = owner_client.get("/owner/chez-test/staff").get_data(as_text=True)
    assert "boss@elsewhere.example" not in page and "guest@elsewhere.example" not in page
    assert also_here.email in page


@pytest.mark.parametrize("mode", ["invite", "closed"])
def test_a_new_account_joins_whatever_sign_up_says(owner_client, client, session, restaurant,
                                                   app, mode):
    before = app.config.get("SIGNUP")
    app.config["SIGNUP"] = mode
    try:
        invite(owner_client, "hired@example.com")
        token = token_sent_to(session, "hired@example.com")
        log_out(owner_client)
        assert client.get(f"/a/invite/{token}").status_code == 200
        joined = client.post_form(f"/a/invite/{token}", {
            "name": "Hired", "password": "a-long-kitchen-pass", "confirm": "a-long-kitchen-pass"})
    finally:
        if before is None:
            app.config.pop("SIGNUP", None)
        else:
            app.config["SIGNUP"] = before
    assert joined.status_code == 303
    assert membership(session, "hired@example.com", restaurant).role == "staff"
