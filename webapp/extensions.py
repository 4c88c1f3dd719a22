"""Bare extension instances, bound to the app in ``create_app``."""

from typing import TYPE_CHECKING, ClassVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Session

# Stable constraint names so Alembic migrations can name what they create and drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


if TYPE_CHECKING:
    class _ScopedSession(Session):
        """What db.session (a scoped_session) offers: every Session method, handed to the
        current app context's Session, so it goes wherever a Session is expected (the
        domain's functions); and its own remove() and call."""

        def remove(self) -> None: ...

        def __call__(self) -> Session: ...


class _SQLAlchemy(SQLAlchemy):
    if TYPE_CHECKING:
        session: _ScopedSession  # type: ignore[assignment]


def _session_class() -> type:
    # Reads of @replica_reads views may go to DATABASE_REPLICA_URL (webapp/replica.py).
    from .replica import RoutingSession

    return RoutingSession


db = _SQLAlchemy(model_class=Base, session_options={"class_": _session_class()})

if TYPE_CHECKING:
    class Model(Base):
        """What type checkers see of db.Model, Flask-SQLAlchemy's subclass of Base made at
        run time: a declarative base whose models' __table__ is a Table."""

        __abstract__ = True
        __table__: ClassVar[Table]
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
