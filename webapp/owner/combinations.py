"""Table combinations page (owners only): which tables may be joined for one party.

The form checks the input's shape; the rules (2-3 tables of this restaurant, the party
range, unique names and table sets, the defaults) are in
``webapp.booking.operations.combinations``, shared with the API, whose refusals are
shown under the field they name.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, ValidationError

from ..booking.operations import combinations as ops
from ..booking.operations.setup import SetupRefused
from ..booking.rules import MAX_PARTY
from ..extensions import db
from ..i18n import N_
from ..i18n import lazy_gettext as _l
from ..models import DiningTable, TableCombination
from ..validators import Length, Optional, SingleLine
from .access import Access, owner_required
from .common import form_status
from .forms import ConfirmForm, OwnerForm, _int_field, _strip
from .labels import translate_refusal
from .views import bp

# The operation's refusals, looked up by their English where the page shows them.
REFUSALS = (N_("Choose 2 or 3 tables to join."), N_("Choose each table once."),
            N_("Another combination already joins these tables."),
            N_("Another combination already has this name."),
            N_("A combination's name has at most 120 characters."),
            N_("A party is between 1 and 500 guests."),
            N_("The smallest party cannot be larger than the largest party."))


class TablesField(SelectMultipleField):
    """The tables to join, by id: a JSON array in the API. Which ids are this restaurant's
    is the operation's question (one refusal for both doors), not the field's."""

    json_shapes = ("array",)
    json_schema = {"type": "array", "items": {"type": "integer", "minimum": 0,
                                              "maximum": ops.MAX_ID},
                   "minItems": 2, "maxItems": 3, "uniqueItems": True}

    def pre_validate(self, form: Any) -> None:
        # An id no row can have (the database's integer) is no table of this restaurant.
        if any(not 0 <= value <= ops.MAX_ID for value in self.data or ()):
            raise ValidationError(_l("No such table at this restaurant."))


class CombinationForm(OwnerForm):
    tables = TablesField(_l("Tables to join"), coerce=int, validators=[
        DataRequired(_l("Choose 2 or 3 tables to join."))],
        description=_l("2 or 3 tables that stand side by side."))
    name = StringField(_l("Name"), filters=[_strip], validators=[
        Optional(), SingleLine(), Length(max=ops.NAME_MAX)],
        description=_l("Empty: the tables' names, e.g. “Napoli + Milano”."))
    min_party = _int_field(_l("smallest party"), 1, MAX_PARTY, required=False,
                           description=_l("Empty: one more than the largest of its tables "
                                          "takes alone."))
    max_party = _int_field(_l("largest party"), 1, MAX_PARTY, required=False,
                           description=_l("Empty: all seats of its tables."))
    position = _int_field(_l("position"), 0, 10_000, default=0,
                          description=_l("Lower numbers are offered first among equal fits."))

    def details(self) -> ops.CombinationDetails:
        return ops.CombinationDetails(
            table_ids=tuple(self.tables.data or ()), name=self.name.data or "",
            min_party=self.min_party.data, max_party=self.max_party.data,
            position=self.position.data or 0)


def show_refusal(form: CombinationForm, refusal: SetupRefused) -> None:
    """The operation's refusal under the field it names (the tables when none)."""
    field = getattr(form, refusal.field or "", None) or form.tables
    field.errors = list(field.errors) + [translate_refusal(refusal.message)]


def _see_other(endpoint: str, **values: Any):
    return redirect(url_for(endpoint, **values), code=303)


def _all_tables(access: Access) -> list[DiningTable]:
    return list(db.session.scalars(
        select(DiningTable).where(DiningTable.restaurant_id == access.restaurant.id)
        .order_by(DiningTable.position, DiningTable.id)))


def _combination_or_404(access: Access, combination_id: int) -> TableCombination:
    row = ops.get_combination(db.session, access.restaurant, combination_id)
    if row is None:
        abort(404)
    return row


@bp.route("/<ref>/tables/combinations", methods=["GET", "POST"])
@owner_required
def combinations(access: Access):
    status = 200
    if request.method == "POST":
        form = CombinationForm(restaurant_id=access.restaurant.id)
        if form.validate():
            try:
                row = ops.add_combination(db.session, access.restaurant, form.details())
            except SetupRefused as refusal:
                show_refusal(form, refusal)
            else:
                flash(_("Combination %(name)s added.", name=row.name), "success")
                return _see_other("owner.combinations", ref=access.ref)
        status = form_status(form)
    else:
        rows = ops.list_combinations(db.session, access.restaurant)
        form = CombinationForm(formdata=None,
                               position=max((c.position for c in rows), default=-1) + 1)
    return render_template("owner/combinations.html", access=access, restaurant=access.restaurant,
                           combinations=ops.list_combinations(db.session, access.restaurant),
                           tables_of=ops.tables_of, tables=_all_tables(access), form=form,
                           confirm=ConfirmForm(formdata=None)), status


@bp.route("/<ref>/tables/combinations/<int:combination_id>", methods=["GET", "POST"])
@owner_required
def edit_combination(access: Access, combination_id: int):
    row = _combination_or_404(access, combination_id)
    status = 200
    if request.method == "POST":
        form = CombinationForm(restaurant_id=access.restaurant.id)
        if form.validate():
            try:
                ops.change_combination(db.session, access.restaurant, row, form.details())
            except SetupRefused as refusal:
                show_refusal(form, refusal)
            else:
                flash(_("Combination %(name)s saved.", name=row.name), "success")
                return _see_other("owner.combinations", ref=access.ref)
        status = form_status(form)
    else:
        form = CombinationForm(formdata=None, data={
            "tables": [t.id for t in ops.tables_of(row)], "name": row.name,
            "min_party": row.min_party, "max_party": row.max_party, "position": row.position})
    return render_template("owner/combination_edit.html", access=access,
                           restaurant=access.restaurant, row=row, tables=_all_tables(access),
                           form=form), status


@bp.post("/<ref>/tables/combinations/<int:combination_id>/delete")
@owner_required
def delete_combination(access: Access, combination_id: int):
    row = _combination_or_404(access, combination_id)
    if ConfirmForm().validate():
        name = row.name
        ops.remove_combination(db.session, access.restaurant, row)
        flash(_("Combination %(name)s removed. Bookings already on its tables keep them.",
                name=name), "success")
    return _see_other("owner.combinations", ref=access.ref)
