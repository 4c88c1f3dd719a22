"""The JSON API under /api/v1: public, guest (manage token) and owner (bearer token)
endpoints, the OpenAPI document and its docs page.

The API uses no cookies, so it is exempt from the CSRF check; callers prove who
they are with a bearer token or a guest's manage token instead.
"""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)

from . import docs, errors, guest_views, owner_views, public_views  # noqa: E402,F401  (routes register)
