"""WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py``."""

from . import create_app

app = create_app()
