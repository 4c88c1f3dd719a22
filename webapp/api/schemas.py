"""JSON Schemas of the API's answers (the requests' schemas come from the forms)."""

from __future__ import annotations

from typing import Any

from ..i18n import LANGUAGES

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_DATE = {"type": "string", "format": "date"}
_HHMM = {"type": "string", "pattern": r"^\d{2}:\d{2}$"}
_NHHMM = {"type": ["string", "null"], "pattern": r"^\d{2}:\d{2}$"}
_UTC = {"type": "string", "format": "date-time", "description": "UTC instant (…Z)."}
_LOCAL = {"type": "string", "format": "date-time",
          "description": "The same instant as the restaurant's local time, with its offset."}
STATUSES = ["booked", "seated", "completed", "cancelled", "no_show"]
_SERVICE_DATE = ("The date of the service the stay belongs to: 00:30 in a service that opened "
                 "the evening before belongs to that evening. Every `date` of this API, in "
                 "requests, filters and answers, means the service date.")


def _object(properties: dict[str, Any], required: list[str] | None = None,
            description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": required if required is not None else list(properties)}
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(key: str, item: str) -> dict[str, Any]:
    return _object({key: {"type": "array", "items": _ref(item)}})


# Pacing (owner API only): the most covers starting in one slot interval / in the service.
_PACE = {"type": ["integer", "null"], "minimum": 1, "maximum": 10000,
         "description": "The most covers that may start in one slot interval (online guests "
                        "are not offered a full slot; owners may book over it with "
                        "`allow_over_pace`); null: no pace. Owner API only."}
_MAX_COVERS = {"type": ["integer", "null"], "minimum": 1, "maximum": 100000,
               "description": "The most covers for the whole service; null: no limit. "
                              "Owner API only."}
# Not required: the owner API always carries the pacing, the public restaurant resource
# never does (a guest has no business with the kitchen's limits).
_OWNER_ONLY = ("pace_covers", "max_covers")


def _required_but_pacing(properties: dict[str, Any]) -> list[str]:
    return [name for name in properties if name not in _OWNER_ONLY]


_SERVICE_FIELDS = {"name": _STR, "opens": _HHMM, "closes": _HHMM, "last_seating": _NHHMM,
                   "pace_covers": _PACE, "max_covers": _MAX_COVERS}
SERVICE = _object(_SERVICE_FIELDS, _required_but_pacing(_SERVICE_FIELDS))
_OPENING_HOURS_FIELDS = {"id": _INT, "weekday": {"type": "integer", "minimum": 0, "maximum": 6},
                         "day": _STR, "name": _STR, "opens": _HHMM, "closes": _HHMM,
                         "last_seating": _NHHMM, "pace_covers": _PACE,
                         "max_covers": _MAX_COVERS}

COMPONENTS: dict[str, dict[str, Any]] = {
    "Problem": _object({
        "type": _STR, "title": _STR, "status": _INT, "detail": _STR,
        "code": {"type": "string", "description": "A stable machine-readable reason."},
        "errors": {"type": "object", "description": "Messages per field.",
                   "additionalProperties": {"type": "array", "items": _STR}},
        "alternatives": {"type": "array", "items": {"type": "string", "format": "date-time"},
                         "description": "Slot taken: nearby free start times, local with offset."},
        "free_tables": {"type": "array", "items": _STR,
                        "description": "Slot taken: tables still free at the requested time."},
        "reservations": {"type": "array", "items": _INT},
    }, ["type", "title", "status", "detail"],
        "RFC 9457 problem details; 422 answers carry `errors`: {field: [messages]}."),
    "OpeningHours": _object(_OPENING_HOURS_FIELDS,
                            _required_but_pacing(_OPENING_HOURS_FIELDS)),
    "SpecialDay": _object({"id": _INT, "start_date": _DATE, "end_date": _DATE,
                           "closed": {"type": "boolean"}, "reason": _STR,
                           "services": {"type": "array", "items": SERVICE}}),
    "Restaurant": _object({
        "slug": _STR, "name": _STR, "timezone": _STR, "description": _STR,
        "contact": _object({"phone": _STR, "email": _STR, "address": _STR}),
        "booking": _object({"slot_interval_minutes": _INT, "lead_time_minutes": _INT,
                            "horizon_days": _INT, "max_online_party": _INT}),
        "opening_hours": {"type": "array", "items": _ref("OpeningHours")},
        "special_days": {"type": "array", "items": _ref("SpecialDay"),
                         "description": "Closures and special hours from today on."},
        "links": _object({"self": _STR, "page": _STR}),
    }),
    "Availability": _object({
        "restaurant": _STR, "timezone": _STR, "date": _DATE, "party_size": _INT,
        "services": {"type": "array", "items": _object({
            "name": _STR,
            "times": {"type": "array", "items": _object({
                "time": {"type": "string", "description": "Local HH:MM (with the offset when "
                                                          "the wall time happens twice)."},
                "starts_at": _UTC, "local_start": _LOCAL,
                "tables": {"type": "array", "description": "Free tables (owner token only).",
                           "items": _object({"id": _INT, "name": _STR})},
            }, ["time", "starts_at", "local_start"])}})},
    }),
    "Reservation": _object({
        "id": _INT, "restaurant": _STR, "status": {"type": "string", "enum": STATUSES},
        "party_size": _INT,
        "date": {**_DATE, "description": "The service date (same as `service_date`)."},
        "service_date": {**_DATE, "description": _SERVICE_DATE},
        "time": {"type": "string", "pattern": r"^\d{2}:\d{2}([+-]\d{2}:\d{2})?$",
                 "description": "Local wall time HH:MM, with the UTC offset when that wall "
                                "time happens twice (02:30+01:00). Sent back with `date`, it "
                                "means this very start."},
        "starts_at": _UTC, "ends_at": _UTC,
        "local_start": _LOCAL, "local_end": _LOCAL, "name": _STR, "email": _STR, "phone": _STR,
        "notes": _STR, "version": _INT,
        "language": {"type": "string", "enum": list(LANGUAGES),
                     "description": "The language the booking was made in: every e-mail about "
                                    "it is written in it."},
        "confirmed_at": {"type": ["string", "null"], "format": "date-time",
                         "description": "When the guest confirmed from the reminder's link "
                                        "(null: not confirmed)."},
        "table": {"type": ["object", "null"], "properties": {"id": _INT, "name": _STR},
                  "description": "The table its booking is on: on joined tables, the first "
                                 "of `tables`."},
        "tables": {"type": "array", "items": _object({"id": _INT, "name": _STR}),
                   "description": "Every table it holds, `table` first: more than one when "
                                  "tables are joined for the party (a table combination, "
                                  "or tables the restaurant chose)."},
        "source": {"type": "string", "enum": ["online", "phone", "walk_in", "api"],
                   "description": "Owner views only."},
        "created_at": _UTC, "updated_at": _UTC,
        "manage_token": {"type": "string", "description": "The guest's secret: shown when the "
                         "booking is made and to the guest's own link."},
        "links": {"type": "object", "additionalProperties": _STR},
    }, ["id", "restaurant", "status", "party_size", "date", "service_date", "time",
        "starts_at", "ends_at",
        "local_start", "local_end", "name", "email", "phone", "notes", "version", "language",
        "table", "tables", "confirmed_at", "links"]),
    "ReservationList": _object({"reservations": {"type": "array", "items": _ref("Reservation")},
                                "truncated": {"type": "boolean"}}),
    "Settings": _object({
        "id": _INT, "name": _STR, "slug": _STR, "timezone": _STR, "slot_interval_minutes": _INT,
        "default_turn_minutes": _INT,
        "turn_times": {"type": "object", "additionalProperties": _INT},
        "lead_time_minutes": _INT, "horizon_days": _INT, "max_online_party": _INT,
        "reminder_hours": _INT, "country": _STR,
        "cancel_cutoff_hours": {"type": "integer", "minimum": 0, "maximum": 720,
                                "description": "Guests may change or cancel online until this "
                                               "many hours before the start (after it the "
                                               "guest API answers 409 cancel_cutoff); 0: "
                                               "until the start. Owners are not bound."},
        "hold_minutes": {"type": "integer", "minimum": 0, "maximum": 60,
                         "description": "How long a hold (POST .../holds, or a guest "
                                        "picking a time on the booking page) keeps its "
                                        "table; 0: holds are off (409 holds_off)."},
        "waitlist_offer_minutes": {"type": "integer", "minimum": 1, "maximum": 60,
                                   "description": "How long a waitlist offer keeps the freed "
                                                  "table for the guest e-mailed, before it "
                                                  "goes to the next guest in line."},
        "phone": _STR, "email": _STR, "address": _STR, "description": _STR,
        "default_language": {"type": "string", "enum": ["", *LANGUAGES],
                             "description": "The guest page's language unless the guest "
                                            "picks one, and that of the e-mails about bookings "
                                            "the restaurant takes itself; \"\": the guest's "
                                            "browser decides."},
        "embed_origins": {"type": "string",
                          "description": "The sites that may embed the booking form, one "
                                         "origin per line (https://www.example.com); \"\": "
                                         "embedding is off. Sent back in a PATCH as it is."},
        "calendar_feed_contact": {"type": "boolean",
                                  "description": "Whether the staff calendar feeds show the "
                                                 "guests' e-mail and phone."}}),
    "Table": _object({"id": _INT, "name": _STR, "seats": _INT, "min_party": _INT,
                      "max_party": {"type": ["integer", "null"]}, "area": _STR,
                      "position": _INT, "active": {"type": "boolean"}}),
    "Timeslots": _object({
        "restaurant": _STR, "date": _DATE, "timezone": _STR, "interval_minutes": _INT,
        "tables": {"type": "array", "items": _ref("Table")},
        "slots": {"type": "array", "items": _object({
            "time": _HHMM, "starts_at": _UTC, "local_start": _LOCAL, "service": _STR,
            "tables": {"type": "array", "items": _object({
                "table_id": _INT,
                "state": {"type": "string", "enum": ["free", "booked", "seated"]},
                "reservation_id": {"type": ["integer", "null"]}})}})},
        "reservations": {"type": "array", "items": _ref("Reservation"),
                         "description": "Every reservation touching the day, any status."},
    }),
}
COMPONENTS["ReservationHistory"] = _object({
    "reservation_id": _INT,
    "events": {"type": "array", "items": _object({
        "at": _UTC, "actor": _STR,
        "action": {"type": "string", "description": "created, changed, or the new status."},
        "changes": {"type": "object", "description": "{field: [before, after]}, or the "
                                                     "values a new reservation started with."},
    })}})
COMPONENTS["TableList"] = _list_of("tables", "Table")
COMPONENTS["OpeningHoursList"] = _list_of("opening_hours", "OpeningHours")
COMPONENTS["SpecialDayList"] = _list_of("special_days", "SpecialDay")

_WEBHOOK = {
    "id": _INT, "url": _STR, "description": _STR, "active": {"type": "boolean"},
    "events": {"type": "array", "items": {"type": "string", "enum": [
        "reservation.created", "reservation.changed", "reservation.cancelled",
        "reservation.status_changed"]}},
    "created_at": _UTC,
}
COMPONENTS["WebhookEndpoint"] = _object(_WEBHOOK, description=(
    "A receiver of reservation events. Each event is POSTed as JSON "
    "`{type, timestamp, data}` (`data`: the reservation with the fields of `Reservation`, but `links`) and "
    "signed in the Standard Webhooks format (`webhook-id`, `webhook-timestamp`, "
    "`webhook-signature`: HMAC-SHA256 with the endpoint's secret); it is sent again with "
    "the same `webhook-id` until the endpoint answers 2xx."))
COMPONENTS["WebhookEndpointCreated"] = _object({**_WEBHOOK, "secret": {
    "type": "string", "description": "The signing secret (whsec_…): in this answer only."}})
COMPONENTS["WebhookEndpointList"] = _list_of("webhooks", "WebhookEndpoint")
