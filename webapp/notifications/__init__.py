"""Guest e-mails through a transactional outbox (filled in by the public-page work)."""

from flask import Flask


def register_cli(app: Flask) -> None:
    """Add the mail delivery commands to the Flask CLI."""
