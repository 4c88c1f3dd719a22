"""Fixtures: the app on a real PostgreSQL and on SQLite.

* ``app`` is parametrized over both backends: every test that uses it runs twice.
  Tests marked ``postgres_only`` run on PostgreSQL alone, ``sqlite_only`` on SQLite alone.
* PostgreSQL comes from ``TEST_DATABASE_URL`` (the test command starts a
  throwaway cluster and sets it). Each xdist worker gets its own database.
* Isolation: every table is emptied before each test (real commits, no
  rollback tricks: the booking service owns its transactions).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.clock import TestClock, fixed_now
from webapp import clock as app_clock
from webapp import create_app
from webapp.extensions import db, limiter

BACKENDS = ("postgresql", "sqlite")


@pytest.fixture(autouse=True)
def clock() -> Iterator[TestClock]:
    """Every test runs at one fixed instant (tests/clock.py; TEST_NOW picks another)."""
    test_clock = TestClock(fixed_now())
    previous = app_clock.set_source(test_clock.now)
    yield test_clock
    app_clock.set_source(previous)


# Whole directories and files of slow tests: real gunicorn servers and PostgreSQL restarts
# (faults), headless Chromium (browser, the API docs page), the TLC model checker (spec),
# schemathesis over every operation. Other slow tests carry the marker themselves;
# `-m "not slow"` is the quick subset (README).
SLOW_DIRECTORIES = ("faults", "browser", "spec")
SLOW_FILES = ("test_docs_browser.py", "test_schemathesis.py")
TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (item.path.resolve().relative_to(TESTS).parts[0] in SLOW_DIRECTORIES
                or item.path.name in SLOW_FILES or item.get_closest_marker("browser")):
            item.add_marker(pytest.mark.slow)
    # postgres_only / sqlite_only tests drop the other backend's parametrization instead
    # of skipping it.
    for item in list(items):
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("app") if callspec else None
        if ((item.get_closest_marker("postgres_only") and backend == "sqlite")
                or (item.get_closest_marker("sqlite_only") and backend == "postgresql")):
            items.remove(item)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of this worker's own PostgreSQL database (created on first use)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.fail("TEST_DATABASE_URL is not set: run the suite with scripts/test.sh, which "
                    "starts a throwaway PostgreSQL, or point it at a database you can drop.")
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"{url.database}_{_worker()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@contextmanager
def fresh_database(request: pytest.FixtureRequest, backend: str, name: str,
                   directory: Path) -> Iterator[str]:
    """A new, empty database (not the shared test schema) named ``name``; dropped afterwards."""
    if backend == "sqlite":
        yield "sqlite:///" + str(directory / f"{name}.sqlite3")
        return
    url = make_url(request.getfixturevalue("pg_url"))
    url = url.set(database=f"{url.database}_{name}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend, for what the migrations build and for probes."""
    with fresh_database(request, request.param, "fresh", tmp_path) as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_database_url(request: pytest.FixtureRequest,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database on each backend built by ``flask db upgrade`` alone (once per worker).

    Shared: a test that changes its schema or alembic_version must put it back."""
    from tests.fresh_db import flask_db

    with fresh_database(request, request.param, "migrated", tmp_path_factory.mktemp("migrated")) as url:
        flask_db(url, "upgrade")
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / f"test_{_worker()}.sqlite3")


def database_url(request: pytest.FixtureRequest, backend: str) -> str:
    return request.getfixturevalue("pg_url" if backend == "postgresql" else "sqlite_url")


# scrypt costs ~0.2 s per hash, and most tests create an owner and log in: the suite hashes
# with one round of pbkdf2 instead (settings.py refuses that outside BOOKING_ENV=testing).
CHEAP_PASSWORD_HASH = "pbkdf2:sha256:1"


def build_app(url: str, **overrides) -> Flask:
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
              "SERVER_NAME": None, "PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH}
    config.update(overrides)
    return create_app(config)


_schema_ready: set[str] = set()


def ensure_schema(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url in _schema_ready:
        return
    with app.app_context():
        db.drop_all()
        db.create_all()
    _schema_ready.add(url)


# TRUNCATE waits for every transaction that touched the tables. One left open by a test
# (a session never committed or removed) would hang the whole run: fail clearly instead.
EMPTY_TABLES_LOCK_TIMEOUT = "20s"


def empty_all_tables(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        names = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name != "postgresql":
            with db.engine.begin() as conn:
                for name in names:
                    conn.execute(text(f"DELETE FROM {name}"))
            return
        # A live server's last request (a browser test's poll) may still be reading while
        # TRUNCATE takes its tables' locks one by one in another order: PostgreSQL then
        # breaks the deadlock by aborting the TRUNCATE. The reader's transaction is short;
        # the TRUNCATE tries again after it.
        for attempt in range(5):
            try:
                with db.engine.begin() as conn:
                    conn.execute(text(f"SET LOCAL lock_timeout = '{EMPTY_TABLES_LOCK_TIMEOUT}'"))
                    conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
                return
            except OperationalError as error:
                if "deadlock detected" in str(error) and attempt < 4:
                    continue
                if "lock timeout" not in str(error):
                    raise
                pytest.fail(f"emptying the tables waited {EMPTY_TABLES_LOCK_TIMEOUT} for locks "
                            f"held by a transaction left open: {_open_transactions()}",
                            pytrace=False)


def _open_transactions() -> str:
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT pid, state, left(query, 200) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND xact_start IS NOT NULL")).all()
    return "; ".join(f"pid {pid} {state}, last query: {query}" for pid, state, query in rows) or "none"


@pytest.fixture(scope="session", params=BACKENDS)
def app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on one backend; tests using it run once per backend."""
    application = build_app(database_url(request, request.param))
    application.test_client_class = Client
    ensure_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def backend(app: Flask) -> str:
    return "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") \
        else "sqlite"


@pytest.fixture
def make_app(request: pytest.FixtureRequest, app: Flask, backend: str):
    """Another app on the same database with different settings (e.g. locks off)."""
    made: list[Flask] = []

    def factory(**overrides) -> Flask:
        other = build_app(app.config["SQLALCHEMY_DATABASE_URI"], **overrides)
        other.test_client_class = Client
        made.append(other)
        return other

    yield factory
    for other in made:
        with other.app_context():
            db.engine.dispose()
    # Flask-Limiter keeps `enabled` and its storage on the one shared `limiter`, and the
    # latest init_app decides for every app in the process: a test that made an app with
    # the limit on would leave it on for all later tests of this worker (429s, depending
    # on test order). Put back the suite's setting and forget the counts.
    if limiter.enabled:  # reset() needs the storage an enabled limiter has
        limiter.reset()
    limiter.enabled = app.config["RATELIMIT_ENABLED"]


@pytest.fixture
def session(app: Flask):
    """An app context on an emptied database; yields the SQLAlchemy session."""
    empty_all_tables(app)
    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture
def client(app: Flask, session) -> FlaskClient:
    return app.test_client()


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client(FlaskClient):
    """The test client, with the CSRF token a browser would have from the page."""

    _csrf: str | None = None

    @property
    def csrf_token(self) -> str:
        if self._csrf is None:
            # Logged in, /login leads on to the dashboard, whose layout has a form too.
            page = self.get("/login", follow_redirects=True).get_data(as_text=True)
            match = _TOKEN.search(page)
            assert match, "no CSRF token on the login page"
            self._csrf = match.group(1)
        return self._csrf

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with the CSRF token, as the page's own form would."""
        response = self.post(url, data={"csrf_token": self.csrf_token, **(data or {})}, **kwargs)
        if url.split("?")[0] in ("/login", "/logout", "/logout-everywhere"):
            self._csrf = None  # logging in or out gives the session a new CSRF token
        return response

    def login(self, email: str, password: str):
        response = self.post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response
