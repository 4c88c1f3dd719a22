"""API tokens: created and shown once, listed, revoked; other restaurants' are 404."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_restaurant
from webapp.auth.tokens import create_token, verify_token
from webapp.models import ApiToken


def test_create_list_and_revoke(owner_client, session, restaurant):
    response = owner_client.post_form("/owner/chez-test/tokens", {"name": "POS system",
                                                                 "scopes": ["read", "bookings"]})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    clear = html.split('class="token-value">')[1].split("<")[0]
    assert clear.startswith("bm_")
    token = verify_token(session, clear)
    assert token is not None and token.name == "POS system"
    listing = owner_client.get("/owner/chez-test/tokens").get_data(as_text=True)
    assert "POS system" in listing and token.prefix in listing and clear not in listing
    assert "never" in listing
    revoked = owner_client.post_form(f"/owner/chez-test/tokens/{token.id}/revoke")
    assert revoked.status_code == 303
    session.expire_all()
    assert verify_token(session, clear) is None
    assert "revoked" in owner_client.get("/owner/chez-test/tokens").get_data(as_text=True)


def test_token_bad_input_and_other_restaurant(owner_client, session):
    empty = owner_client.post_form("/owner/chez-test/tokens", {"name": " "})
    assert empty.status_code == 422 and "Give the token a name" in empty.get_data(as_text=True)
    other = make_restaurant(session, slug="other")
    theirs, clear = create_token(session, other.id, "theirs")
    session.commit()
    assert owner_client.post_form(f"/owner/chez-test/tokens/{theirs.id}/revoke").status_code == 404
    session.expire_all()
    assert session.scalar(select(ApiToken).where(ApiToken.id == theirs.id)).revoked_at is None


def test_token_scopes_are_chosen_and_listed(owner_client, session):
    page = owner_client.get("/owner/chez-test/tokens").get_data(as_text=True)
    # One checkbox per scope, only "read" ticked at first.
    for scope in ("read", "bookings", "setup"):
        assert f'id="scope-{scope}"' in page
    assert 'value="read" checked' in page and 'value="setup" checked' not in page
    none = owner_client.post_form("/owner/chez-test/tokens", {"name": "Nothing"})
    assert none.status_code == 422
    assert "Choose at least one thing the token may do." in none.get_data(as_text=True)
    odd = owner_client.post_form("/owner/chez-test/tokens", {"name": "Odd", "scopes": ["admin"]})
    assert odd.status_code == 422
    assert session.scalar(select(ApiToken).where(ApiToken.name.in_(["Nothing", "Odd"]))) is None
    made = owner_client.post_form("/owner/chez-test/tokens",
                                  {"name": "Setup tool", "scopes": ["setup", "read"]})
    assert made.status_code == 201
    clear = made.get_data(as_text=True).split('class="token-value">')[1].split("<")[0]
    token = verify_token(session, clear)
    assert token.scopes == "read setup"
    listing = owner_client.get("/owner/chez-test/tokens").get_data(as_text=True)
    row = listing.split("Setup tool")[1].split("</tr>")[0]
    assert ">read</span>" in row and ">setup</span>" in row and ">bookings</span>" not in row


def test_staff_cannot_reach_the_tokens_page(client, session, restaurant):
    from tests.factories import DEFAULT_PASSWORD, make_owner

    make_owner(session, restaurant, "staff@example.com", role="staff")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    assert client.get("/owner/chez-test/tokens").status_code == 403
    assert client.post_form("/owner/chez-test/tokens",
                            {"name": "x", "scopes": ["read"]}).status_code == 403
