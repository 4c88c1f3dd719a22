"""PASSWORD_HASH_METHOD: the suite hashes cheaply, a real installation never can."""

from __future__ import annotations

import pytest

from tests.conftest import CHEAP_PASSWORD_HASH
from tests.factories import DEFAULT_PASSWORD, make_owner
from webapp.auth.passwords import authenticate, hash_method, hash_password
from webapp.extensions import db
from webapp.settings import ConfigError, load_settings

PRODUCTION = {"BOOKING_ENV": "production", "SECRET_KEY": "a-production-secret-key-0123456789",
              "DATABASE_URL": "sqlite:////nonexistent/db.sqlite3",
              "PUBLIC_BASE_URL": "https://book.example.com"}


@pytest.mark.parametrize("method", [CHEAP_PASSWORD_HASH, "pbkdf2:sha256:100000", "scrypt:1024:8:1",
                                    "scrypt:32768:1:1"])
@pytest.mark.parametrize("environment", ["production", "development"])
def test_a_cheap_method_is_refused_outside_the_tests(tmp_path, environment, method):
    env = {**PRODUCTION, "BOOKING_ENV": environment}
    with pytest.raises(ConfigError, match="too cheap for real passwords"):
        load_settings(env, str(tmp_path), {"PASSWORD_HASH_METHOD": method})


@pytest.mark.parametrize("method", ["md5", "scrypt:1:2", "pbkdf2:sha256:many", "plain"])
def test_an_unknown_method_is_refused_everywhere(tmp_path, method):
    with pytest.raises(ConfigError, match="is not one of werkzeug's"):
        load_settings({}, str(tmp_path), {"TESTING": True, "PASSWORD_HASH_METHOD": method})


def test_strong_methods_are_accepted_and_scrypt_is_the_default(tmp_path):
    assert load_settings(PRODUCTION, str(tmp_path))["PASSWORD_HASH_METHOD"] == "scrypt"
    for method in ("scrypt:65536:8:1", "pbkdf2:sha256:600000", "pbkdf2"):
        settings = load_settings(PRODUCTION, str(tmp_path), {"PASSWORD_HASH_METHOD": method})
        assert settings["PASSWORD_HASH_METHOD"] == method


def test_the_suite_hashes_with_its_cheap_method(app, session):
    assert app.config["PASSWORD_HASH_METHOD"] == CHEAP_PASSWORD_HASH == hash_method()
    owner = make_owner(session, None, "cheap@example.com")
    assert owner.password_hash.startswith(CHEAP_PASSWORD_HASH + "$")


def test_an_app_with_the_default_hashes_with_scrypt_and_logins_cross_methods(make_app, session):
    strong = make_app(PASSWORD_HASH_METHOD="scrypt")
    with strong.app_context():
        assert hash_password("a-long-password-1").startswith("scrypt:32768:8:1$")
        make_owner(db.session, None, "strong@example.com")
        db.session.commit()
    # Verifying reads the method from the stored hash, whatever the app hashes new ones with.
    assert authenticate(session, "strong@example.com", DEFAULT_PASSWORD) is not None
    assert authenticate(session, "strong@example.com", DEFAULT_PASSWORD + "x") is None
