"""The booking domain: slots, availability and the locked write.

Plain Python over SQLAlchemy; nothing here knows about Flask requests or
sessions, so pages, the JSON API, the CLI and the tests share one rule book.
"""
