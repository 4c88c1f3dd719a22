"""The guest forms check shapes only, from form posts, query strings and JSON bodies alike."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from webapp.public.forms import (
    AvailabilityForm,
    BookingForm,
    CancelBookingForm,
    ChangeBookingForm,
)

GOOD = {"date": "2026-12-01", "time": "19:30", "party_size": "4", "name": " Ada Lovelace ",
        "email": "ada@example.com", "phone": "+44 (0)20 7946-0958", "notes": ""}


@pytest.fixture
def ctx(app):
    """A request context with CSRF off: these tests are about the fields."""
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield app
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def form_from(ctx, form_class, data=None, json=None):
    with ctx.test_request_context("/", method="POST", data=data, json=json):
        form = form_class()
        form.validate()
        return form


def test_a_good_booking_form(ctx):
    form = form_from(ctx, BookingForm, data=GOOD)
    assert form.errors == {}
    assert form.date.data == dt.date(2026, 12, 1) and form.party_size.data == 4
    assert form.name.data == "Ada Lovelace"
    assert form.time.wall_time == dt.time(19, 30) and form.time.utc_offset is None


def test_the_same_form_reads_json(ctx):
    form = form_from(ctx, BookingForm, json={**GOOD, "party_size": 4, "notes": None})
    assert form.errors == {} and form.party_size.data == 4 and form.notes.data == ""


@pytest.mark.parametrize(("field", "value", "message"), [
    ("date", "1.12.2026", "Enter a date as YYYY-MM-DD"),
    ("date", "20261201", "Enter a date as YYYY-MM-DD"),
    ("date", "", "Choose a date."),
    ("time", "7pm", "Choose one of the times offered (HH:MM)."),
    ("time", "24:00", "Choose one of the times offered (HH:MM)."),
    ("party_size", "0", "A party is between 1 and 99 guests."),
    ("party_size", "100", "A party is between 1 and 99 guests."),
    ("party_size", "2.5", "Enter the number of guests as a whole number."),
    ("name", "x" * 121, "Keep the name under 120 characters."),
    ("name", "   ", "Tell us the name for the booking."),
    ("email", "ada@", "This does not look like an e-mail address"),
    ("email", "a" * 250 + "@example.com", "An e-mail address has at most 254 characters."),
    ("phone", "123", "Enter a phone number"),
    ("phone", "+49 30 <script>", "Enter a phone number"),
    ("phone", "1" * 41, "A phone number has at most 40 characters."),
    ("notes", "n" * 1001, "Keep the notes under 1000 characters."),
])
def test_bad_values_get_a_useful_message(ctx, field, value, message):
    form = form_from(ctx, BookingForm, data={**GOOD, field: value})
    assert any(message in m for m in form.errors.get(field, [])), form.errors


@pytest.mark.parametrize("value", [True, 4.5, [1, 2], {"n": 1}, "four"])
def test_json_party_size_of_the_wrong_type_is_an_error_not_a_crash(ctx, value):
    form = form_from(ctx, AvailabilityForm, json={"date": "2026-12-01", "party_size": value})
    assert form.errors.get("party_size")


def test_json_array_for_a_text_field_is_refused(ctx):
    form = form_from(ctx, BookingForm, json={**GOOD, "name": ["Ada", "Bob"]})
    assert form.errors["name"] == ["Send a single value."]


@pytest.mark.parametrize("value", [20261201, True, {"y": 2026}])
def test_json_date_of_the_wrong_type_is_an_error_not_a_crash(ctx, value):
    assert form_from(ctx, AvailabilityForm, json={"date": value, "party_size": 2}).errors["date"]


def test_time_with_offset_picks_one_of_two_repeated_times(ctx):
    form = form_from(ctx, ChangeBookingForm, data={"date": "2027-10-31", "time": "02:30+01:00",
                                                   "party_size": "2"})
    assert form.errors == {}
    assert form.time.wall_time == dt.time(2, 30)
    assert form.time.utc_offset == dt.timedelta(hours=1)


def test_availability_from_a_query_string(app):
    with app.test_request_context("/?date=2026-12-01&party_size=3"):
        form = AvailabilityForm(MultiDict({"date": "2026-12-01", "party_size": "3"}),
                                meta={"csrf": False})
        assert form.validate() and form.party_size.data == 3


@pytest.mark.parametrize(("payload", "valid"), [
    ({"confirm": True}, True), ({"confirm": False}, False), ({"confirm": "false"}, False), ({}, False),
])
def test_cancel_needs_a_yes(ctx, payload, valid):
    form = form_from(ctx, CancelBookingForm, json=payload)
    assert (form.errors == {}) is valid


def test_every_form_carries_a_csrf_token(app):
    with app.test_request_context("/", method="POST", data=GOOD):
        for form_class in (BookingForm, ChangeBookingForm, CancelBookingForm):
            form = form_class()
            assert not form.validate()
            assert "csrf_token" in form.errors
