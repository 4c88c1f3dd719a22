import itsdangerous
import pytest

from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_login_page_renders_with_csrf_token(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_owner_page_requires_login(client):
    response = client.get("/owner/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_and_logout(client, session):
    restaurant = make_restaurant(session, name="Chez Test")
    make_owner(session, restaurant, "Owner@Example.com")
    response = client.login("owner@example.com", DEFAULT_PASSWORD)
    assert response.headers["Location"].endswith("/owner/")
    page = client.get("/owner/", follow_redirects=True)
    assert page.status_code == 200
    assert "Chez Test" in page.get_data(as_text=True)
    assert client.post_form("/logout").status_code == 302
    assert client.get("/owner/").status_code == 302


def test_wrong_password_is_refused(client, session):
    make_owner(session, None, "owner@example.com")
    response = client.post_form("/login", {"email": "owner@example.com", "password": "nope-nope"})
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)
    assert client.get("/owner/").status_code == 302


def test_login_without_csrf_token_is_refused(client, session):
    make_owner(session, None, "owner@example.com")
    response = client.post("/login", data={"email": "owner@example.com",
                                           "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert client.get("/owner/").status_code == 302


def test_login_ignores_offsite_next(client, session):
    make_owner(session, None, "owner@example.com")
    response = client.post_form("/login?next=https://evil.example/",
                                {"email": "owner@example.com", "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/owner/"


def test_password_is_stored_hashed(session):
    user = make_owner(session, None, "owner@example.com")
    assert DEFAULT_PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_unknown_page_is_404_html_and_problem_json_under_api(client):
    page = client.get("/nowhere")
    assert page.status_code == 404 and "Not found" in page.get_data(as_text=True)
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"
    assert api.json["status"] == 404


def test_a_session_signed_under_a_rotated_key_still_opens(app):
    """The cookie signer is built once per key set (webapp/sessions.py): after the key
    changes, cookies signed with the old one open through SECRET_KEY_FALLBACKS, and new
    ones are signed with the new key."""
    interface = app.session_interface
    old_signer = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is old_signer  # built once
    cookie = old_signer.dumps({"user": 1})
    old_key = app.secret_key
    app.config["SECRET_KEY"] = "a-new-key-0123456789abcdef-0123456789"
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    new_signer = interface.get_signing_serializer(app)
    assert new_signer is not old_signer
    assert new_signer.loads(cookie) == {"user": 1}
    app.config["SECRET_KEY_FALLBACKS"] = []
    with pytest.raises(itsdangerous.BadSignature):
        interface.get_signing_serializer(app).loads(cookie)
