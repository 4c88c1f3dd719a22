"""The OpenAPI document and its human-readable page (Swagger UI from static/vendor)."""

from __future__ import annotations

from flask import render_template

from .blueprint import bp
from .common import json_response
from .openapi import build_document


@bp.get("/openapi.json")
def openapi_document():
    return json_response(build_document())


@bp.get("/docs")
def docs_page():
    return render_template("api/docs.html")
