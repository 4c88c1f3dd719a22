"""The API's contract made exact: bodies of the wrong shape and out-of-range ids are 4xx
with field messages (never 500), and the OpenAPI document says what the server does."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tests.api.conftest import API, assert_problem, booking
from tests.factories import DEFAULT_PASSWORD, make_owner
from webapp.models import DiningTable, OpeningHours

OWNER_BOOK = f"{API}/restaurants/trattoria/reservations"
TABLES = f"{API}/restaurants/trattoria/tables"


@pytest.fixture
def document(client):
    return client.get(f"{API}/openapi.json").json


def _body_schema(document, path: str, method: str) -> dict:
    return document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def _props(schema: dict) -> dict:
    if "anyOf" in schema:  # owner vs guest bookings: the owner's is the second
        schema = schema["anyOf"][-1]
    return schema["properties"]


# ---------------------------------------------------------------- shapes where a scalar belongs


@pytest.mark.parametrize("value", [{}, {"a": 1}, [], ["ada@example.com"]])
def test_an_object_or_a_list_for_the_email_of_an_owner_booking_is_422(client, restaurant, auth,
                                                                      day, value):
    response = client.post(OWNER_BOOK, headers=auth, json=booking(day, email=value))
    body = assert_problem(response, 422, "email")
    assert "not an object or a list" in body["errors"]["email"][0]


@pytest.mark.parametrize("value", [{}, [1, 2]])
def test_an_object_for_a_table_name_or_seats_is_422(client, session, restaurant, auth, value):
    before = session.query(DiningTable).count()
    assert_problem(client.post(TABLES, headers=auth, json={"name": value, "seats": 2}), 422,
                   "name")
    assert_problem(client.post(TABLES, headers=auth, json={"name": "T9", "seats": value}), 422,
                   "seats")
    assert session.query(DiningTable).count() == before


def test_an_object_for_the_guests_notes_is_422(client, restaurant, day):
    made = client.post(f"{API}/restaurants/trattoria/reservations", json=booking(day)).json
    response = client.patch(f"{API}/reservations/{made['manage_token']}", json={"notes": {}})
    assert_problem(response, 422, "notes")


def test_a_repeated_form_value_for_a_single_field_is_422(client, restaurant, auth):
    response = client.post(TABLES, headers=auth, data={"name": ["T8", "T9"], "seats": "2"})
    assert_problem(response, 422, "name")


def test_fields_that_read_objects_and_lists_still_take_them(client, restaurant, auth, day):
    settings = client.patch(f"{API}/restaurants/trattoria/settings", headers=auth,
                            json={"turn_times": {"1": 90, "5": 150}})
    assert settings.status_code == 200, settings.json
    assert settings.json["turn_times"] == {"1": 90, "5": 150}
    special = client.post(f"{API}/restaurants/trattoria/special-days", headers=auth, json={
        "start_date": day.isoformat(),
        "services": ["Lunch 12:00-15:00", {"name": "Dinner", "opens": "18:00", "closes": "23:00"}]})
    assert special.status_code == 201, special.json
    assert [s["name"] for s in special.json["services"]] == ["Lunch", "Dinner"]
    # ... but only the shape they read: turn times are no list, services no bare object.
    assert_problem(client.patch(f"{API}/restaurants/trattoria/settings", headers=auth,
                                json={"turn_times": [{"1": 90}]}), 422, "turn_times")
    assert_problem(client.post(f"{API}/restaurants/trattoria/special-days", headers=auth, json={
        "start_date": day.isoformat(), "services": {"opens": "18:00", "closes": "23:00"}}),
        422, "services")


# ---------------------------------------------------------------- ids beyond the id columns


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64 + 5, 10**30])
def test_every_integer_path_id_beyond_the_id_columns_is_404(app, client, session, restaurant, auth,
                                                     number):
    make_owner(session, restaurant, "owner@example.com")
    client.login("owner@example.com", DEFAULT_PASSWORD)  # the dashboard's routes too
    routes = list(_int_routes(app))
    assert len(routes) >= 15  # the API's and the dashboard's
    for rule, method in routes:
        path = re.sub(r"<int:\w+>", str(number), rule.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", "trattoria", path)
        body = None if method == "GET" else {"csrf_token": client.csrf_token}
        response = client.open(path, method=method, headers=auth, data=body)
        assert response.status_code == 404, (method, path, response.status_code)


def test_the_largest_id_reaches_the_view(client, restaurant, auth):
    response = client.get(f"{API}/restaurants/trattoria/reservations/{2**31 - 1}", headers=auth)
    assert_problem(response, 404)
    assert "reservation" in response.json["detail"].lower()  # the view's own answer


def test_path_ids_are_bounded_in_the_document(document):
    ids = [p["schema"] for item in document["paths"].values() for op in item.values()
           for p in op.get("parameters", []) if p["in"] == "path" and p["name"].endswith("_id")]
    assert ids and all(s == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1} for s in ids)


# ---------------------------------------------------------------- the schema says what the server does


def test_the_status_body_may_leave_out_the_version(client, document, restaurant, auth, day):
    schema = _body_schema(document, "/restaurants/{slug}/reservations/{reservation_id}/status",
                          "post")
    assert "version" not in schema.get("required", [])
    made = client.post(OWNER_BOOK, headers=auth, json=booking(day)).json
    response = client.post(f"{OWNER_BOOK}/{made['id']}/status", headers=auth,
                           json={"status": "seated", "allow_off_day": True})
    assert response.status_code == 200 and response.json["status"] == "seated"


def test_fields_that_may_be_left_out_may_be_null(client, session, document, restaurant, auth,
                                                 day):
    table = _props(_body_schema(document, "/restaurants/{slug}/tables", "post"))
    book = _props(_body_schema(document, "/restaurants/{slug}/reservations", "post"))
    hours = _props(_body_schema(document, "/restaurants/{slug}/opening-hours", "post"))
    for props, name in ((table, "max_party"), (book, "duration_minutes"),
                        (hours, "last_seating")):
        Draft202012Validator(props[name]).validate(None)
    # ... and the server takes null as "not given".
    added = client.post(TABLES, headers=auth, json={"name": "T9", "seats": 4, "max_party": None})
    assert added.status_code == 201 and added.json["max_party"] is None
    made = client.post(OWNER_BOOK, headers=auth, json=booking(day, duration_minutes=None))
    assert made.status_code == 201, made.json
    service = client.post(f"{API}/restaurants/trattoria/opening-hours", headers=auth, json={
        "weekday": 0, "opens": "08:00", "closes": "10:00", "last_seating": None})
    assert service.status_code == 201 and service.json["last_seating"] is None
    assert session.get(OpeningHours, service.json["id"]).last_seating is None
    # Required fields stay non-null.
    with pytest.raises(Exception):  # noqa: B017  (jsonschema's ValidationError)
        Draft202012Validator(table["seats"]).validate(None)


def test_form_posts_have_no_null(document):
    media = document["paths"]["/restaurants/{slug}/tables"]["post"]["requestBody"]["content"]
    form = media["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert form["max_party"]["type"] == "integer"


def test_required_text_must_hold_a_character_the_server_keeps(client, document, restaurant,
                                                              auth):
    name = _props(_body_schema(document, "/restaurants/{slug}/tables", "post"))["name"]
    assert name["minLength"] == 1
    validator = Draft202012Validator(name)
    for blank in ("", " ", "\t\u00a0\u3000"):
        assert not validator.is_valid(blank)
        assert_problem(client.post(TABLES, headers=auth, json={"name": blank, "seats": 2}), 422,
                       "name")
    assert validator.is_valid(" T9 ")
    assert client.post(TABLES, headers=auth, json={"name": " T9 ", "seats": 2}).status_code == 201


@pytest.mark.parametrize(("value", "accepted"), [
    ("2000-01-01", True), ("2199-12-31", True), ("1999-12-31", False), ("2200-01-01", False),
    ("2026-02-30", False), ("0010-03-17", False)])
def test_the_date_range_is_a_schema_constraint(client, document, restaurant, auth, value,
                                               accepted):
    schema = _props(_body_schema(document, "/restaurants/{slug}/special-days", "post"))
    validator = Draft202012Validator(schema["start_date"], format_checker=FormatChecker())
    assert validator.is_valid(value) is accepted
    response = client.post(f"{API}/restaurants/trattoria/special-days", headers=auth,
                           json={"start_date": value, "closed": True})
    assert (response.status_code == 201) is accepted, response.json


KEYS = ["k", "a b", '"quoted"', '" spaced "', "  padded  ", "x" * 200, "é-ü", "",
        "   ", '""', '"', '" "', "x" * 201, "tab\there", "nbsp\u00a0", "soft\u00adhyphen",
        "\u007f", '"' + "x" * 200 + '"']


@pytest.mark.parametrize("key", KEYS)
def test_the_idempotency_key_rule_is_in_the_document(client, document, restaurant, auth, key):
    parameter = next(p for p in document["paths"]["/restaurants/{slug}/tables"]["post"]
                     ["parameters"] if p["name"] == "Idempotency-Key")
    assert parameter["in"] == "header" and parameter["required"] is False
    schema_says = bool(re.search(parameter["schema"]["pattern"], key))
    response = client.post(TABLES, headers={**auth, "Idempotency-Key": key},
                           json={"name": f"K{len(key)}", "seats": 2})
    refused = response.status_code == 400 and response.json["code"] == "bad_idempotency_key"
    assert schema_says is not refused, (key, response.status_code)


def test_a_whole_number_written_as_a_float_is_an_integer(client, restaurant, auth, day):
    # JSON Schema's "integer" includes 3.0; so does the server.
    made = client.post(OWNER_BOOK, headers=auth, json=booking(day, party_size=3.0))
    assert made.status_code == 201 and made.json["party_size"] == 3
    assert_problem(client.post(OWNER_BOOK, headers=auth, json=booking(day, "20:00",
                                                                      party_size=3.5)),
                   422, "party_size")


def test_unknown_query_parameters_are_refused_like_unknown_body_fields(client, restaurant,
                                                                       auth, day):
    response = client.get(f"{API}/restaurants/trattoria/reservations?dtae={day}", headers=auth)
    assert assert_problem(response, 422, "dtae")["errors"]["dtae"] == ["Unknown field."]


def test_text_never_allows_nul_in_the_document(document):
    name = _props(_body_schema(document, "/restaurants/{slug}/tables", "post"))["area"]
    assert not Draft202012Validator(name).is_valid("a\x00b")
    media = document["paths"]["/restaurants/{slug}/special-days"]["post"]["requestBody"]["content"]
    services = media["application/x-www-form-urlencoded"]["schema"]["properties"]["services"]
    assert not Draft202012Validator(services).is_valid("Lunch 12:00-15:00\x00")
    slug = document["paths"]["/restaurants/{slug}"]["get"]["parameters"][0]["schema"]
    assert not Draft202012Validator(slug).is_valid("a\x00b")


@pytest.mark.parametrize("value", [True, False])
def test_true_or_false_where_text_belongs_is_422_and_nothing_changes(client, session, restaurant,
                                                                     auth, value):
    before = session.query(DiningTable).count()
    assert_problem(client.post(TABLES, headers=auth, json={"name": value, "seats": 2}), 422,
                   "name")
    assert session.query(DiningTable).count() == before
    settings = f"{API}/restaurants/trattoria/settings"
    body = assert_problem(client.patch(settings, headers=auth, json={"slug": value}), 422, "slug")
    assert body["errors"]["slug"] == ["Give text or a number here, not true or false."]
    assert client.get(settings, headers=auth).json["slug"] == "trattoria"


@pytest.mark.parametrize("value", [0, 12.5])
def test_a_number_where_text_belongs_is_422_and_nothing_changes(client, session, restaurant,
                                                                auth, value):
    settings = f"{API}/restaurants/trattoria/settings"
    body = assert_problem(client.patch(settings, headers=auth, json={"name": value}), 422, "name")
    assert body["errors"]["name"] == ["Give text here (in quotes), not a number."]
    assert client.get(settings, headers=auth).json["name"] != str(value)
    # Numbers still go where the document says integer.
    assert client.patch(settings, headers=auth, json={"horizon_days": 30}).status_code == 200


@pytest.mark.parametrize(("body", "form"), [({"active": "true"}, None), (None, {"active": "AAA"}),
                                            (None, {"active": "1"}), ({"active": 1}, None)])
def test_a_checkbox_is_true_or_false_and_nothing_else(client, restaurant, auth, body, form):
    table = {"name": "T9", "seats": "2"}
    response = client.post(TABLES, headers=auth, json=None if body is None else {**table, **body},
                           data=None if form is None else {**table, **form})
    assert assert_problem(response, 422, "active")["errors"]["active"] == ["Give true or false."]


@pytest.mark.parametrize("word", ["true", "y", "on", "false", ""])
def test_form_posts_spell_a_checkbox_as_the_document_says(client, document, restaurant, auth,
                                                          word):
    media = document["paths"]["/restaurants/{slug}/tables"]["post"]["requestBody"]["content"]
    assert word in media["application/x-www-form-urlencoded"]["schema"]["properties"]["active"][
        "enum"]
    response = client.post(TABLES, headers=auth, data={"name": f"W{word}", "seats": "2",
                                                       "active": word})
    assert response.status_code == 201, response.json
    assert response.json["active"] is (word in ("true", "y", "on"))


def test_a_service_object_has_only_its_four_keys(client, document, restaurant, auth, day):
    response = client.post(f"{API}/restaurants/trattoria/special-days", headers=auth, json={
        "start_date": day.isoformat(),
        "services": [{"opens": "18:00", "closes": "23:00", "last_seat": "22:00"}]})
    assert "last_seat" in assert_problem(response, 422, "services")["errors"]["services"][0]
    services = _props(_body_schema(document, "/restaurants/{slug}/special-days", "post"))[
        "services"]
    service = services["anyOf"][1]["items"]["anyOf"][1]
    assert service["additionalProperties"] is False


def test_the_time_zone_is_one_of_the_list(client, document, restaurant, auth):
    zone = _props(_body_schema(document, "/restaurants/{slug}/settings", "patch"))["timezone"]
    assert "Europe/Berlin" in zone["enum"] and "Mars/Olympus" not in zone["enum"]


def test_an_empty_query_parameter_is_one_not_given(client, document, restaurant, auth):
    start = next(p for p in document["paths"]["/restaurants/{slug}/reservations"]["get"]
                 ["parameters"] if p["name"] == "start")
    assert Draft202012Validator(start["schema"]).is_valid("")
    response = client.get(f"{API}/restaurants/trattoria/reservations?start=", headers=auth)
    assert response.status_code == 200


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_ids_in_bodies_beyond_the_id_columns_are_field_errors(client, restaurant, auth, day,
                                                              number):
    booked = client.post(OWNER_BOOK, headers=auth, json=booking(day, table=number))
    assert booked.status_code == 422 and "table" in booked.json["errors"], booked.json
    made = client.post(OWNER_BOOK, headers=auth, json=booking(day)).json
    moved = client.post(f"{OWNER_BOOK}/{made['id']}/move", headers=auth, json={"table": number})
    assert moved.status_code == 422 and "table" in moved.json["errors"], moved.json
    stale = client.post(f"{OWNER_BOOK}/{made['id']}/status", headers=auth,
                        json={"status": "seated", "version": number})
    assert stale.status_code in (409, 422), stale.json


def test_a_json_null_body_is_no_object(client, restaurant, auth):
    response = client.patch(f"{API}/restaurants/trattoria/settings", headers=auth, data="null",
                            content_type="application/json")
    assert_problem(response, 400)


def test_optional_constrained_text_may_be_empty(client, document, restaurant, auth):
    settings = _body_schema(document, "/restaurants/{slug}/settings", "patch")["properties"]
    for name in ("phone", "email"):
        assert Draft202012Validator(settings[name]).is_valid(""), name
        assert not Draft202012Validator(settings[name], format_checker=FormatChecker()).is_valid(
            "not a phone or e-mail"), name
    response = client.patch(f"{API}/restaurants/trattoria/settings", headers=auth,
                            data={"phone": "", "email": ""})
    assert response.status_code == 200 and response.json["phone"] == ""


@pytest.mark.parametrize(("value", "valid"), [
    ("02:30+01:00", True), ("19:30", True), ("19:30:15-05:30", True), ("12:00+18:00", True),
    ("15:30:18-54:79", False), ("12:00+18:01", False), ("12:00+19:00", False),
    ("12:00+01:60", False)])
def test_the_documented_wall_time_is_exactly_what_the_server_reads(document, value, valid):
    from webapp.owner.forms import MoveReservationForm

    path = "/restaurants/{slug}/reservations/{reservation_id}/move"
    schema = _props(_body_schema(document, path, "post"))["time"]
    assert Draft202012Validator(schema).is_valid(value) is valid
    form = MoveReservationForm(meta={"csrf": False}, data={})
    try:
        form.time.process_formdata([value])
        read = form.time.data is not None
    except ValueError:  # how a WTForms field refuses a value ("Not a valid time value.")
        read = False
    assert read is valid
