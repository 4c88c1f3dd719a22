"""The one shape of an operation's own transaction: its writes, committed; or, on any
error, rolled back and the error raised. ``explain`` turns a unique-constraint refusal
(a clash a form could not see yet, e.g. two sign-ups taking one address) into the
domain's own refusal; it runs after the rollback, so it reads what the other writer
committed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, scoped_session

AnySession = Session | scoped_session[Any]


@contextmanager
def committed(session: AnySession,
              explain: Callable[[], BaseException | None] = lambda: None) -> Iterator[None]:
    try:
        yield
        session.commit()
    except sa_exc.IntegrityError:
        session.rollback()
        refusal = explain()
        if refusal is not None:
            raise refusal from None
        raise
    except BaseException:
        session.rollback()
        raise
