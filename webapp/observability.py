"""Request logging, metrics and security headers (filled in by the production work)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Install per-request hooks; called by create_app."""
