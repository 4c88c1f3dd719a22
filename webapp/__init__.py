"""Booking Manager: table bookings for restaurants.

``create_app`` builds the Flask app: configuration from the environment,
extensions, blueprints, error pages and CLI commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g, redirect, request, url_for
from sqlalchemy import text
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import routing
from .database import WRITE_INTENT, configure_engine
from .extensions import csrf, db, htmx, limiter, login_manager, migrate
from .sessions import SessionInterface
from .settings import ConfigError, from_environment


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    try:
        app.config.from_mapping(from_environment(app.instance_path, config))
    except ConfigError as exc:
        # One clear line for the operator instead of a traceback.
        raise SystemExit(f"booking-manager: configuration error: {exc}") from None

    app.session_interface = SessionInterface()
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        # Assigning wsgi_app is how Flask's docs add middleware; mypy sees a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    routing.init_app(app)  # before the blueprints add their rules
    _register_blueprints(app)

    from . import cli, errors, i18n, input_guard, observability, templating

    observability.init_app(app)
    _declare_write_intent(app)
    input_guard.init_app(app)
    errors.register(app)
    # A Host outside TRUSTED_HOSTS: a plain 400 (the error page needs URLs built for a host).
    app.register_error_handler(SecurityError, lambda _error: (
        "Unknown host.\n", 400, {"Content-Type": "text/plain; charset=utf-8"}))
    templating.register(app)
    i18n.init_app(app)  # the guest pages' language (Flask-Babel)
    cli.register(app)

    # Browsers ask for /favicon.ico on their own; point them at ours.
    app.add_url_rule("/favicon.ico", "favicon",
                     lambda: redirect(url_for("static", filename="favicon.svg"), 301))

    if app.config["CHECK_DATABASE_ON_START"]:
        _verify_database(app)
    return app


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _declare_write_intent(app: Flask) -> None:
    """Requests that may write tell the database layer so (see database.WRITE_INTENT:
    on SQLite their transactions take the write lock at BEGIN)."""

    def declare() -> None:
        if request.method not in _SAFE_METHODS:
            g.write_intent = WRITE_INTENT.set(True)

    def forget(_error: BaseException | None) -> None:
        token = g.pop("write_intent", None)
        if token is not None:
            try:
                WRITE_INTENT.reset(token)
            except ValueError:  # torn down from another context (a streamed response)
                WRITE_INTENT.set(False)

    app.before_request_funcs.setdefault(None, []).insert(0, declare)
    app.teardown_request(forget)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():  # the primary, and the replica if there is one
            configure_engine(engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"

    # Importing schema_triggers attaches the triggers' DDL to the metadata, so create_all
    # builds all of the schema.
    from . import schema_triggers  # noqa: F401
    from .auth.logins import load_login
    from .booking import slugs  # noqa: F401  (importing it records every slug's previous one)
    from .models import User

    @login_manager.user_loader
    def load_user(alternative_id: str) -> User | None:
        # Session version and the login's own token too: see webapp/auth/logins.py.
        return load_login(db.session, alternative_id)


def _register_blueprints(app: Flask) -> None:
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .health import bp as health_bp
    from .owner import bp as owner_bp
    from .public import bp as public_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(owner_bp, url_prefix="/owner")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    if app.config["ENVIRONMENT"] != "production":
        # The development mailbox shows e-mails with working manage links: it must not
        # exist in production at all (not a route that refuses, no route).
        from .dev_mailbox import bp as dev_mailbox_bp

        app.register_blueprint(dev_mailbox_bp)


def _verify_database(app: Flask) -> None:
    """Stop at start-up with one line when the database cannot be reached."""
    from sqlalchemy.engine import make_url

    with app.app_context():
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
                hide_password=True)
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise SystemExit(
                f"booking-manager: cannot reach the database at {url}: {reason}") from None
        finally:
            # Forked gunicorn workers must not share the pool the master opened.
            for engine in db.engines.values():
                engine.dispose()
