"""/api/v1 table combinations: list, add, change, remove.

The rules are in booking/operations/combinations.py, shared with the dashboard; the body
is the dashboard's own form (owner/combinations.py), so a refusal reads the same."""

from __future__ import annotations

from typing import Any

from flask import url_for

from ..booking.operations import combinations as ops
from ..extensions import db
from ..models import Restaurant, TableCombination
from ..owner.combinations import CombinationForm
from .auth import owner_restaurant
from .blueprint import bp
from .bodies import as_form_values, bind, form_defaults
from .common import json_response
from .errors import not_found
from .idempotency import idempotent
from .operations import documented
from .schemas import _INT, _STR, COMPONENTS, _list_of, _object

COMPONENTS["TableCombination"] = _object(
    {"id": _INT, "name": _STR,
     "tables": {"type": "array", "items": _object({"id": _INT, "name": _STR}),
                "description": "Its tables in the owner's table order (the first holds the "
                               "booking)."},
     "min_party": _INT, "max_party": _INT, "position": _INT},
    description="Tables that may be joined for one party. Offered only while each of its "
                "tables is bookable.")
COMPONENTS["TableCombinationList"] = _list_of("table_combinations", "TableCombination")

_LINKS = {name: {"slug": "$request.path.slug", "combination_id": "$response.body#/id"}
          for name in ("table_combination", "change_table_combination",
                       "remove_table_combination")}


def combination(row: TableCombination) -> dict[str, Any]:
    """A combination as the API shows it."""
    return {"id": row.id, "name": row.name,
            "tables": [{"id": t.id, "name": t.name} for t in ops.tables_of(row)],
            "min_party": row.min_party, "max_party": row.max_party, "position": row.position}


def _combination(restaurant: Restaurant, combination_id: int) -> TableCombination:
    row = ops.get_combination(db.session, restaurant, combination_id)
    if row is None:
        raise not_found("This restaurant has no such table combination.")
    return row


def _location(restaurant: Restaurant, row: TableCombination) -> str:
    return url_for("api.table_combination", slug=restaurant.slug, combination_id=row.id,
                   _external=True)


@bp.get("/restaurants/<slug>/table-combinations")
@documented(summary="The table combinations", tag="Owner: setup", auth="owner", scope="read",
            responses={200: ("TableCombinationList", "Every combination in the owner's order.")})
def table_combinations(slug: str):
    restaurant, _ = owner_restaurant(slug)
    return json_response({"table_combinations": [
        combination(row) for row in ops.list_combinations(db.session, restaurant)]})


@bp.post("/restaurants/<slug>/table-combinations")
@documented(summary="Add a table combination", tag="Owner: setup", auth="owner", scope="setup",
            body=lambda: CombinationForm, body_defaults=True, idempotent=True,
            description="2 or 3 of the restaurant's tables (`tables`: their ids), each once, "
                        "and no other combination of the same tables. Left out: the name is "
                        "the tables' names joined with \" + \", `max_party` all their seats, "
                        "`min_party` one more than the largest of them takes alone.",
            responses={201: ("TableCombination", "The new combination (its address in "
                                                 "`Location`).")},
            links=_LINKS)
@idempotent
def create_table_combination(slug: str):
    restaurant, _ = owner_restaurant(slug)
    kwargs: dict[str, Any] = {"restaurant_id": restaurant.id}
    form = bind(CombinationForm, current=form_defaults(CombinationForm, **kwargs), **kwargs)
    row = ops.add_combination(db.session, restaurant, form.details())
    return json_response(combination(row), 201, location=_location(restaurant, row))


@bp.get("/restaurants/<slug>/table-combinations/<int:combination_id>")
@documented(summary="One table combination", tag="Owner: setup", auth="owner", scope="read",
            responses={200: ("TableCombination", "The combination.")})
def table_combination(slug: str, combination_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(combination(_combination(restaurant, combination_id)))


@bp.patch("/restaurants/<slug>/table-combinations/<int:combination_id>")
@documented(summary="Change a table combination", tag="Owner: setup", auth="owner",
            scope="setup", body=lambda: CombinationForm, partial=True,
            description="Send only what changes; `null` for the name or a party bound "
                        "gives its default again. Bookings already on its tables keep them.",
            responses={200: ("TableCombination", "The combination after the change.")})
def change_table_combination(slug: str, combination_id: int):
    restaurant, _ = owner_restaurant(slug)
    row = _combination(restaurant, combination_id)
    current = combination(row)
    current["tables"] = [t["id"] for t in current.pop("tables")]
    form = bind(CombinationForm, current=as_form_values(current), restaurant_id=restaurant.id)
    ops.change_combination(db.session, restaurant, row, form.details())
    return json_response(combination(row))


@bp.delete("/restaurants/<slug>/table-combinations/<int:combination_id>")
@documented(summary="Remove a table combination", tag="Owner: setup", auth="owner",
            scope="setup",
            description="The tables are no longer joined for new bookings; a reservation "
                        "already on them keeps its tables.",
            responses={204: (None, "Removed.")})
def remove_table_combination(slug: str, combination_id: int):
    restaurant, _ = owner_restaurant(slug)
    ops.remove_combination(db.session, restaurant, _combination(restaurant, combination_id))
    return "", 204


