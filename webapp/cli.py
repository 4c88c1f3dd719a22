"""Flask CLI commands: accounts and demo data."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .auth.passwords import MIN_PASSWORD_LENGTH, ensure_owner
from .extensions import db
from .models import Restaurant


def register(app: Flask) -> None:
    from .notifications import register_cli as register_mail_cli

    register_mail_cli(app)

    @app.cli.command("create-owner")
    @click.option("--email", required=True, help="Login e-mail of the owner.")
    @click.option("--password", required=True, help=f"At least {MIN_PASSWORD_LENGTH} characters.")
    @click.option("--restaurant", "slug", default=None, help="Slug of a restaurant to manage.")
    @click.option("--role", type=click.Choice(["owner", "staff"]), default="owner")
    def create_owner(email: str, password: str, slug: str | None, role: str) -> None:
        """Create an owner account (or reset its password); idempotent."""
        restaurant = None
        if slug:
            restaurant = db.session.scalar(select(Restaurant).where(Restaurant.slug == slug))
            if restaurant is None:
                raise click.ClickException(f"no restaurant with slug {slug!r}")
        try:
            user, created = ensure_owner(db.session, email, password, restaurant, role)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        db.session.commit()
        click.echo(f"{'Created' if created else 'Updated'} {role} {user.email}"
                   + (f" for restaurant {slug}" if slug else ""))

    @app.cli.command("demo")
    def demo() -> None:
        """Create the demo restaurant and its owner login; idempotent."""
        from .demo import DEMO_EMAIL, DEMO_PASSWORD, ensure_demo

        restaurant, created = ensure_demo(db.session)
        click.echo(f"{'Created' if created else 'Found'} demo restaurant "
                   f"'{restaurant.name}' at /r/{restaurant.slug}")
        click.echo(f"Owner login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
