"""Error answers: an HTML page for people, problem+json (RFC 9457) under /api/."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import Conflict, HTTPException, InternalServerError, ServiceUnavailable

# Lazy: the error page shows them in the guest's language on a guest page (webapp/i18n.py);
# everywhere else, the API's problem+json included, the language is English.
TITLES = {
    400: _l("Bad request"),
    401: _l("Login required"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Request too large"),
    422: _l("Invalid input"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str, **extra):
    body = {"type": "about:blank", "title": str(TITLES.get(status, "Error")), "status": status,
            "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _describe(error: HTTPException) -> str:
    if isinstance(error, CSRFError):
        return str(_l("The form expired or was not sent from this site. Reload the page and "
                      "try again."))
    return error.description or str(TITLES.get(error.code or 500, "Error"))


def handle_http_error(error: HTTPException):
    status = error.code or 500
    detail = _describe(error)
    if wants_problem_json():
        response = problem(status, detail)
    else:
        response = render_template("errors/error.html", status=status,
                                   title=str(TITLES.get(status, _l("Error"))), detail=detail), status
        response = _as_response(response)
    for header in ("Retry-After", "Allow", "WWW-Authenticate"):
        value = error.get_response().headers.get(header) if hasattr(error, "get_response") else None
        if value:
            response.headers[header] = value
    return response


def _as_response(rv):
    from flask import make_response

    return make_response(rv)


def handle_unexpected(error: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error")
    return handle_http_error(InternalServerError())


def handle_database_unavailable(error: Exception):
    """The database is down or saturated: answer fast with 503 and let the client retry."""
    from flask import current_app

    from .extensions import db

    current_app.logger.warning("database unavailable: %s", str(error).strip().splitlines()[0])
    try:
        db.session.rollback()
    except Exception:  # the connection is already gone; the pool replaces it
        db.session.remove()
    exc = ServiceUnavailable(str(_l("The booking database is unavailable right now. Try again "
                                    "shortly.")))
    response = handle_http_error(exc)
    response.headers["Retry-After"] = "5"
    return response


def handle_integrity_error(error: sa_exc.IntegrityError):
    """A unique or check constraint refused a write that the forms let through (two owners
    saving the same table name at once): a conflict to retry, not a crash."""
    from flask import current_app

    from .extensions import db

    current_app.logger.info("integrity error: %s", str(error.orig).strip().splitlines()[0])
    db.session.rollback()
    return handle_http_error(Conflict(str(_l("That change conflicts with data saved meanwhile "
                                             "(for example a name already in use). Reload and "
                                             "try again."))))


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(sa_exc.IntegrityError, handle_integrity_error)
    for db_error in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.register_error_handler(db_error, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
