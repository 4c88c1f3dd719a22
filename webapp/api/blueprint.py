"""The API's blueprint, which docs, errors, public_views, guest_views and owner_views add
their routes and error handlers to (a module of its own: the API has several views modules).

The API uses no cookies, so it is exempt from the CSRF check; callers prove who
they are with a bearer token or a guest's manage token instead.
"""

from flask import Blueprint

from ..caching import no_store_when_personal
from ..extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)
bp.after_request(no_store_when_personal)
