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
    from .worker import register as register_worker

    register_mail_cli(app)
    register_worker(app)

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

    @app.cli.command("create-restaurant")
    @click.option("--slug", required=True, help="Web address: guests book at /r/<slug>.")
    @click.option("--name", required=True, help="The restaurant's name.")
    @click.option("--timezone", "zone", required=True, help="IANA time zone, e.g. Europe/Berlin.")
    @click.option("--owner", "owner_email", default=None,
                  help="E-mail of an owner (an account is made when there is none).")
    def create_restaurant(slug: str, name: str, zone: str, owner_email: str | None) -> None:
        """Create a published restaurant (and give it an owner); idempotent."""
        import secrets

        from .booking.operations.restaurants import (
            create_restaurant as make,
        )
        from .booking.operations.restaurants import (
            slug_shape_problem,
            timezone_problem,
        )
        from .booking.operations.setup import SetupRefused

        slug = slug.strip().lower()
        problem = slug_shape_problem(slug) or timezone_problem(zone.strip())
        if problem:
            raise click.ClickException(problem)
        restaurant = db.session.scalar(select(Restaurant).where(Restaurant.slug == slug))
        created = restaurant is None
        if restaurant is None:
            try:
                restaurant = make(db.session, slug=slug, name=name, timezone=zone.strip())
            except SetupRefused as refusal:
                raise click.ClickException(refusal.message) from None
        made_account = False
        if owner_email:
            from .models import User

            email = owner_email.strip().lower()
            if "@" not in email or len(email) > 254:
                raise click.ClickException(f"not an e-mail address: {owner_email!r}")
            made_account = db.session.scalar(select(User).where(User.email == email)) is None
            if made_account:
                # No password anyone knows: the owner sets one with "Forgot password?".
                ensure_owner(db.session, email, secrets.token_urlsafe(24), restaurant)
            else:
                from .auth.passwords import add_member

                add_member(db.session, email, restaurant, "owner")
        db.session.commit()
        click.echo(f"{'Created' if created else 'Found'} restaurant '{restaurant.name}' "
                   f"at /r/{restaurant.slug}")
        if owner_email:
            click.echo(f"Owner: {owner_email.strip().lower()}" + (
                " (new account: set its password with 'Forgot password?' on /login)"
                if made_account else ""))

    @app.cli.command("create-token")
    @click.option("--restaurant", "slug", required=True, help="Slug of the restaurant.")
    @click.option("--name", required=True, help="What the token is for, e.g. the POS system.")
    @click.option("--scopes", default="read", show_default=True,
                  help="Space-separated: read, bookings, setup.")
    def create_token(slug: str, name: str, scopes: str) -> None:
        """Make an API token for a restaurant and print it (shown this once)."""
        from .booking.operations import tokens as token_ops

        restaurant = db.session.scalar(select(Restaurant).where(Restaurant.slug == slug))
        if restaurant is None:
            raise click.ClickException(f"no restaurant with slug {slug!r}")
        if not name.strip():
            raise click.ClickException("give the token a name (--name)")
        try:
            token, clear = token_ops.make(db.session, restaurant, name,
                                          scopes.replace(",", " ").split())
        except token_ops.TokenRefused as refusal:
            raise click.ClickException(refusal.message) from None
        click.echo(f"Token '{token.name}' for {restaurant.slug} (may: {token.scopes}); "
                   "shown only now:", err=True)
        click.echo(clear)

    @app.cli.command("demo")
    def demo() -> None:
        """Create the demo restaurant and its owner login; idempotent."""
        from .demo import DEMO_EMAIL, DEMO_PASSWORD, ensure_demo

        restaurant, created = ensure_demo(db.session)
        click.echo(f"{'Created' if created else 'Found'} demo restaurant "
                   f"'{restaurant.name}' at /r/{restaurant.slug}")
        click.echo(f"Owner login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
