from flask import Blueprint

bp = Blueprint("owner", __name__)

from . import reservations, setup, tokens, views  # noqa: E402,F401  (routes register on import)
