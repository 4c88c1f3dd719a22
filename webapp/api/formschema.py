"""WTForms form -> JSON Schema, so the OpenAPI document describes exactly what the
page forms accept: one definition for the page, the API and its documentation.

Field types give the JSON type and format; validators give ``required``, lengths,
ranges, patterns and enums. Custom fields declare their own schema by a
``json_schema`` attribute or through ``CUSTOM_FIELDS`` below (by class name, so this
module does not import the page packages).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from wtforms import Field, Form
from wtforms import validators as v

from .bodies import EARLIEST_DATE, IGNORED_FIELDS, LATEST_DATE

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
# The years bodies.bind accepts, as a pattern (JSON Schema has no bounds for dates); the
# "date" format rules out days that do not exist.
assert (EARLIEST_DATE.year, LATEST_DATE.year) == (2000, 2199), "update DATE_PATTERN"
DATE_PATTERN = r"^2[01][0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_DATE = {"type": "string", "format": "date", "pattern": DATE_PATTERN,
         "examples": ["2026-12-24"],
         "description": f"YYYY-MM-DD, between {EARLIEST_DATE} and {LATEST_DATE}."}
# Some character that str.strip() keeps: a required text field is stripped before
# DataRequired sees it, so "" and "  " are both refused. Spelled out, because \s
# means different characters in Python and in ECMA-262 regular expressions.
_PY_SPACE = "\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029" \
            "\\u202f\\u205f\\u3000"
NOT_BLANK_PATTERN = f"[^{_PY_SPACE}]"
# No NUL anywhere: webapp/input_guard.py refuses it in every request (400).
NO_NUL_PATTERN = r"^[^\u0000]*$"
_INTEGER = {"type": "integer"}

# Fields whose shape the class name alone tells (custom fields of the page forms).
CUSTOM_FIELDS: dict[str, dict[str, Any]] = {
    "ISODateField": _DATE,
    "PartySizeField": {"type": "integer", "minimum": 1, "maximum": 99},
    "TimeOfDayField": {
        "type": "string", "examples": ["19:30"],
        "description": "Local wall time HH:MM; add the UTC offset (02:30+01:00) to pick one "
                       "of the two 02:30s of the night the clocks go back."},
    "TurnTimesField": {
        "description": "Turn time by party size: an object {\"1\": 90, \"3\": 120} or the "
                       "text \"1:90, 3:120\".",
        "anyOf": [{"type": "string"},
                  {"type": "object", "additionalProperties": {"type": "integer"},
                   "propertyNames": {"pattern": "^[0-9]+$"}}]},
    "ServicesField": {
        "description": "Services: lines like \"Dinner 18:00-23:30 last 22:30\", or a list of "
                       "such lines or of {name, opens, closes, last_seating} objects.",
        "anyOf": [{"type": "string"},
                  {"type": "array", "items": {"anyOf": [
                      {"type": "string"},
                      {"type": "object", "required": ["opens", "closes"],
                       "additionalProperties": False, "properties": {
                          "name": {"type": "string", "maxLength": 40},
                          "opens": {"type": "string", "pattern": TIME_PATTERN},
                          "closes": {"type": "string", "pattern": TIME_PATTERN},
                          "last_seating": {"type": "string", "pattern": TIME_PATTERN}}}]}}]},
}

_BY_TYPE: dict[str, dict[str, Any]] = {
    "IntegerField": _INTEGER,
    "IntegerRangeField": _INTEGER,
    "DecimalField": {"type": "number"},
    "FloatField": {"type": "number"},
    "BooleanField": {"type": "boolean"},
    "DateField": _DATE,
    "DateTimeField": {"type": "string", "format": "date-time"},
    "DateTimeLocalField": {"type": "string", "examples": ["2026-12-24T19:30"]},
    "TimeField": {"type": "string", "pattern": TIME_PATTERN, "examples": ["19:30"]},
    "EmailField": {"type": "string", "format": "email"},
}


def _ecma_pattern(pattern: str) -> str | None:
    """A Python regex usable as a JSON Schema pattern, or None (then it is not documented
    as a pattern but still enforced: the form answers 422)."""
    if re.search(r"\(\?P<|\(\?[aiLmsux]|\\[AZz]", pattern):
        return None
    return pattern


def _choice_value(choice: Any) -> Any:
    """The submitted value of a choice: WTForms 3.3 SelectChoice, (value, label), or value."""
    if hasattr(choice, "value"):
        return choice.value
    if isinstance(choice, tuple | list):
        return choice[0]
    return choice


def _base_schema(field: Field) -> dict[str, Any] | None:
    """The schema of the field's class, or of the nearest known class it derives from."""
    own = getattr(field, "json_schema", None)
    if own:
        return own
    for cls in type(field).__mro__:
        known = CUSTOM_FIELDS.get(cls.__name__) or _BY_TYPE.get(cls.__name__)
        if known:
            return known
    return None


def refuse_nul(schema: Any) -> Any:
    """NO_NUL_PATTERN on every free text inside a structured schema (objects, lists)."""
    if isinstance(schema, list):
        for item in schema:
            refuse_nul(item)
    if not isinstance(schema, dict):
        return schema
    for key in ("anyOf", "items", "additionalProperties"):
        if key in schema:
            refuse_nul(schema[key])
    for prop in schema.get("properties", {}).values():
        if prop.get("type") == "string" and not {"enum", "format", "pattern"} & set(prop):
            prop["pattern"] = NO_NUL_PATTERN
        refuse_nul(prop)
    for alternative in schema.get("anyOf", []):
        if alternative.get("type") == "string" and not {"enum", "format",
                                                        "pattern"} & set(alternative):
            alternative["pattern"] = NO_NUL_PATTERN
    return schema


def field_schema(field: Field) -> dict[str, Any]:
    base = _base_schema(field)
    schema: dict[str, Any] = copy.deepcopy(base) if base else {"type": "string"}
    choices = getattr(field, "choices", None)
    if choices:
        values = [_choice_value(c) for c in choices]
        values = [value for value in values if value != ""]
        schema = {"type": "integer" if all(isinstance(x, int) for x in values) else "string",
                  "enum": values}
        if "array" in getattr(field, "json_shapes", ()):  # several of the choices
            schema = {"type": "array", "items": schema, "uniqueItems": True,
                      **({"minItems": 1} if is_required(field) else {})}
    if schema.get("type") == "boolean" and is_required(field):
        schema["enum"] = [True]  # a box that must be ticked (DataRequired refuses False)
    patterns: list[str] = []
    if schema.get("type") == "string" and any(isinstance(x, v.DataRequired)
                                               for x in field.validators):
        schema["minLength"] = 1
        patterns.append(NOT_BLANK_PATTERN)
    for validator in field.validators:
        schema.update(getattr(validator, "json_schema", None) or {})  # a custom rule's own
        if isinstance(validator, v.Length) and schema.get("type") == "string":
            if validator.min not in (None, -1) and validator.min > 0:
                schema["minLength"] = max(validator.min, schema.get("minLength", 0))
            if validator.max not in (None, -1):
                schema["maxLength"] = validator.max
        elif isinstance(validator, v.NumberRange) and schema.get("type") in ("integer", "number"):
            if validator.min is not None:
                schema["minimum"] = validator.min
            if validator.max is not None:
                schema["maximum"] = validator.max
        elif isinstance(validator, v.Email):
            schema["format"] = "email"
        elif isinstance(validator, v.AnyOf):
            schema["enum"] = list(validator.values)
        elif isinstance(validator, v.Regexp) and "pattern" not in schema \
                and schema.get("type") == "string":
            pattern = _ecma_pattern(validator.regex.pattern)
            if pattern:
                patterns.append(pattern)
    if "pattern" in schema:
        patterns.insert(0, schema.pop("pattern"))
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema \
            and all(pattern == NOT_BLANK_PATTERN for pattern in patterns):
        patterns.append(NO_NUL_PATTERN)  # the other patterns are anchored and NUL-free
    refuse_nul(schema)
    if len(patterns) == 1 and "maxLength" not in schema and "minLength" not in schema:
        schema["pattern"] = patterns[0]
    elif patterns:
        # Same meaning, kept apart: one schema holds one pattern (and Schemathesis
        # mis-merged some patterns with lengths).
        schema["allOf"] = [{"pattern": pattern} for pattern in patterns]
    label = str(field.label.text) if field.label else ""  # the guest forms' are lazy (i18n)
    description = " — ".join(x for x in (label, str(field.description or ""),
                                         schema.get("description", "")) if x)
    if description:
        schema["description"] = description
    return schema


def is_required(field: Field) -> bool:
    return any(isinstance(x, v.DataRequired | v.InputRequired) for x in field.validators)


_CONSTRAINTS = ("pattern", "allOf", "format", "enum", "minLength")
EMPTY = {"type": "string", "maxLength": 0}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null (bodies.bind reads a JSON null as "not given"), and for
    constrained text also "" (which the form reads as "not given" too)."""
    if "anyOf" in schema:
        schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
        return schema
    if schema.get("type") == "string" and any(key in schema for key in _CONSTRAINTS):
        outer = {key: schema.pop(key) for key in ("description", "examples") if key in schema}
        return {"anyOf": [schema, EMPTY, {"type": "null"}], **outer}
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def form_schema(form: Form, *, partial: bool = False,
                defaults: dict[str, Any] | None = None,
                optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of a bound form's input. ``partial`` (PATCH): nothing is required.
    ``defaults``: values the API fills in when a field is left out (so not required).
    ``optional``: fields the view fills from the resource itself when left out.
    A field that may be left out may also be null, which means the same."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in form:
        if field.name in IGNORED_FIELDS:
            continue
        schema = field_schema(field)
        if not is_required(field):
            schema = nullable(schema)
        if defaults and field.name in defaults:
            default = defaults[field.name]
            if schema.get("type") == "integer" and isinstance(default, str) and default.isdigit():
                default = int(default)
            schema["default"] = default
        properties[field.name] = schema
        if not partial and is_required(field) and not (defaults and field.name in defaults) \
                and field.name not in optional:
            required.append(field.name)
    result: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    if required:
        result["required"] = required
    doc = (type(form).__doc__ or "").strip()
    if doc:
        result["description"] = " ".join(doc.split())
    return result


def query_parameters(form: Form) -> list[dict[str, Any]]:
    """OpenAPI query parameters from a form read from the query string."""
    params = []
    for field in form:
        if field.name in IGNORED_FIELDS:
            continue
        schema = field_schema(field)
        description = schema.pop("description", "")
        if not is_required(field):  # an empty parameter (?start=) is one not given
            schema = {"anyOf": [schema, EMPTY]}
        param = {"name": field.name, "in": "query", "required": is_required(field),
                 "schema": schema}
        if description:
            param["description"] = description
        params.append(param)
    return params
