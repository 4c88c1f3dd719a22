"""Answers that hold guests' personal data, or secrets, stay out of every cache.

``Cache-Control: private, no-store``: no shared cache (a proxy, a CDN) keeps them and
the browser does not write them to disk, so the next person at a shared computer
cannot page Back into the reservation list. Installed once per blueprint (owner pages
and exports; the API's answers made for one caller), not view by view, so a new page
is covered without a line of its own.
"""

from __future__ import annotations

from flask import Response, request

NO_STORE = "private, no-store"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response


def no_store_when_personal(response: Response) -> Response:
    """For the API: an answer made for one caller -- it sent a bearer token (the owner
    endpoints), the path holds a guest's manage token, or it answers a write (the new
    booking with its manage token) -- is not stored. Public reads (a restaurant, its
    availability, the OpenAPI document) stay cacheable."""
    if ("Authorization" in request.headers or "token" in (request.view_args or {})
            or request.method not in _READS):
        no_store(response)
    return response
