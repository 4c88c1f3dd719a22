"""Request bodies and query strings into the page's own forms.

Every write accepts ``application/x-www-form-urlencoded`` and ``application/json``.
Both become the same ``MultiDict`` of strings, which the page's WTForms form
validates: one definition of each input for the page, the API and the OpenAPI
document. JSON numbers and booleans are turned into the strings a browser would
send; ``null`` means "empty".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

from flask import request
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Form, StringField

from ..input_limits import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE
from .errors import ApiError, invalid

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_TYPE = "application/json"
# Fields a page form posts that mean nothing to the API.
IGNORED_FIELDS = frozenset({"csrf_token", "submit"})

F = TypeVar("F", bound=Form)


SCALAR_MESSAGE = "Give one value (text, a number, true/false or null), not an object or a list."
# How a form post spells a checkbox: the API's clients send true/false, the pages' forms "y"
# (WTForms), bare HTML checkboxes "on"; empty is unticked. Anything else is refused, not
# read as "ticked".
FORM_BOOLEANS = ("true", "false", "y", "on", "")
BOOLEAN_MESSAGE = "Give true or false."
NOT_BOOLEAN_MESSAGE = "Give text or a number here, not true or false."
TEXT_MESSAGE = "Give text here (in quotes), not a number."


def _field_class(form_class: type[Form] | None, name: str) -> type | None:
    unbound = getattr(form_class, name, None)
    return getattr(unbound, "field_class", None)


def json_shapes(form_class: type[Form], name: str) -> frozenset[str]:
    """The JSON shapes beyond a scalar that a field reads: "object" (a mapping, e.g. turn
    times) and/or "array" (a list of values or objects, e.g. a special day's services).
    A field class declares them as ``json_shapes``; every other field takes one scalar."""
    return frozenset(getattr(_field_class(form_class, name), "json_shapes", ()))


def _scalar(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 82.0 is an integer to JSON (and to JSON Schema)
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError


def _from_json(payload: Any, form_class: type[Form] | None = None) -> MultiDict:
    """A JSON object as form data. With ``form_class``, an object or a list is only taken
    where the field reads one (``json_shapes``): elsewhere it is a field error (422), never
    a value a scalar field would choke on."""
    if not isinstance(payload, dict):
        raise ApiError(400, "The JSON body must be an object.", code="bad_request")
    data: MultiDict = MultiDict()
    errors: dict[str, list[str]] = {}
    for key, value in payload.items():
        shapes = json_shapes(form_class, key) if form_class is not None else \
            frozenset({"object", "array"})
        if isinstance(value, dict) and "object" not in shapes \
                or isinstance(value, list) and "array" not in shapes:
            errors[key] = [SCALAR_MESSAGE]
            continue
        boolean_field = _is_boolean(form_class, key)
        if boolean_field and not (value is None or isinstance(value, bool)):
            errors[key] = [BOOLEAN_MESSAGE]
            continue
        if isinstance(value, bool) and form_class is not None and not boolean_field:
            # true/false only mean something to a checkbox: elsewhere they would be stored
            # as the words "true" and "false" (a slug, a table name).
            errors[key] = [NOT_BOOLEAN_MESSAGE]
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and _is_text(form_class, key):
            # The document says text: a number would be stored as its digits (a name "0").
            errors[key] = [TEXT_MESSAGE]
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and (item is value or "array" in shapes):
                data.add(key, item)  # structured fields read objects themselves
                continue
            try:
                data.add(key, _scalar(item))
            except TypeError:
                errors[key] = ["Must be a string, number, boolean, object or null."]
    if errors:
        raise invalid(errors)
    return data


def request_data(form_class: type[Form] | None = None) -> MultiDict:
    """The request body as form data (empty when there is no body); ``form_class`` tells
    which fields may carry JSON objects or lists (see ``_from_json``)."""
    mimetype = request.mimetype
    raw = request.get_data(cache=True)
    if not raw and not request.form:
        return MultiDict()
    if mimetype in FORM_TYPES:
        return MultiDict(request.form)
    if mimetype == JSON_TYPE or mimetype.endswith("+json"):
        payload = request.get_json(silent=True, force=True)
        if payload is None and raw.strip() != b"null":
            raise ApiError(400, "The body is not valid JSON.", code="malformed_json")
        return _from_json(payload, form_class)  # null, too, is no object: 400
    raise ApiError(415, f"Send the body as {JSON_TYPE} or application/x-www-form-urlencoded.",
                   code="unsupported_media_type")


def _refuse_nul_characters(data: MultiDict) -> None:
    """NUL cannot be stored in PostgreSQL text (nor meant by anyone): refuse it up front
    with a field error instead of letting the database fail on it."""
    bad = sorted({key for key, value in data.items(multi=True)
                  if "\x00" in key or (isinstance(value, str) and "\x00" in value)})
    if bad:
        raise invalid({key.replace("\x00", ""): ["Must not contain NUL characters."]
                       for key in bad})


def _is_text(form_class: type[Form] | None, name: str) -> bool:
    field_class = _field_class(form_class, name)
    return isinstance(field_class, type) and issubclass(field_class, StringField)


def _is_boolean(form_class: type[Form] | None, name: str) -> bool:
    field_class = _field_class(form_class, name)
    return isinstance(field_class, type) and issubclass(field_class, BooleanField)


def _refuse_other_booleans(form_class: type[Form], data: MultiDict) -> None:
    wrong = {key: [BOOLEAN_MESSAGE] for key in data if _is_boolean(form_class, key)
             and any(value not in FORM_BOOLEANS for value in data.getlist(key))}
    if wrong:
        raise invalid(wrong)


def _refuse_repeated_scalars(form_class: type[Form], data: MultiDict) -> None:
    """A field that takes one value gets one: ``email=a&email=b`` is an error, not a coin toss
    between the two."""
    repeated = {key: [SCALAR_MESSAGE] for key in data
                if len(data.getlist(key)) > 1 and "array" not in json_shapes(form_class, key)}
    if repeated:
        raise invalid(repeated)


def _field_names(form: Form) -> set[str]:
    return {field.name for field in form}


def bind(form_class: type[F], data: MultiDict | None = None, *,
         current: Mapping[str, Any] | None = None, strict: bool = True, **form_kwargs: Any) -> F:
    """Fill ``form_class`` from the request body (or ``data``) and validate it.

    ``current`` holds the resource's present values under the form's field names:
    a PATCH sends only what changes, the rest is taken from ``current`` so the
    form validates the whole, merged, resource. Unknown fields are refused, so a
    typo does not pass silently. Raises ApiError(422) with per-field messages."""
    sent = request_data(form_class) if data is None else data
    _refuse_nul_characters(sent)
    _refuse_repeated_scalars(form_class, sent)
    _refuse_other_booleans(form_class, sent)
    merged: MultiDict = MultiDict()
    for key, value in (current or {}).items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None and item is not False:
                merged.add(key, "true" if item is True else item)
    for key in sent:
        if key not in IGNORED_FIELDS:
            merged.setlist(key, sent.getlist(key))
    form = form_class(formdata=merged, meta={"csrf": False}, **form_kwargs)
    unknown = sorted(set(sent) - _field_names(form) - IGNORED_FIELDS) if strict else []
    errors: dict[str, list[str]] = {name: ["Unknown field."] for name in unknown}
    if not form.validate():
        # Form-level messages (WTForms keys them None) go under "form".
        errors.update({name or "form": [str(m) for m in messages]  # lazy texts (i18n)
                       for name, messages in form.errors.items()})
    for field in form:
        if isinstance(field.data, dt.date) and not EARLIEST_DATE <= field.data <= LATEST_DATE:
            errors.setdefault(field.name, []).append(DATE_RANGE_MESSAGE)
    if errors:
        raise invalid(errors)
    return form


def bind_query(form_class: type[F], **form_kwargs: Any) -> F:
    """Validate query-string parameters with a form (reads use small forms too). Unknown
    parameters are refused like unknown body fields: a misspelt filter must not pass as
    "no filter"."""
    return bind(form_class, MultiDict(request.args), **form_kwargs)


def form_defaults(form_class: type[Form], **form_kwargs: Any) -> dict[str, Any]:
    """The values a new form shows (its fields' defaults) as form data, so that an API
    create may leave out what the page pre-fills (a table's position, "bookable")."""
    form = form_class(formdata=None, meta={"csrf": False}, **form_kwargs)
    values: dict[str, Any] = {}
    for field in form:
        # False: a checkbox off by default (an override) is not sent, as on the page.
        if field.data in (None, "", [], {}) or field.data is False \
                or field.name in IGNORED_FIELDS:
            continue
        if field.data is True:
            values[field.name] = True
        elif hasattr(field, "_value"):
            values[field.name] = field._value()
        else:  # select fields render their options instead
            values[field.name] = str(field.data)
    return values


def as_form_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Model values as the strings a form post carries (dates, times, numbers); a dict or
    a list (a special day's services) stays as it is."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value is False:
            continue
        if hasattr(value, "isoformat") and not isinstance(value, bool):
            text = value.isoformat()
            out[key] = text[:5] if len(text) == 8 and text[2] == ":" else text  # times as HH:MM
        else:
            out[key] = value if value is True or isinstance(value, dict | list) else str(value)
    return out
