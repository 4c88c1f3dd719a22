"""i18n.language() reads the locale Flask-Babel chose from the app context's ``g`` (its
fast path, taken ~15 times per booking): it must say what Flask-Babel's own
``get_locale`` says, through ``force_locale`` (the e-mails in the booking's language),
nested, and after ``refresh`` (a guest page whose restaurant has a default language)."""

from __future__ import annotations

from flask_babel import force_locale, get_locale, refresh

from webapp.i18n import gettext, language


def _babel() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def test_language_is_flask_babels_locale_through_force_locale_and_refresh(app, restaurant):
    with app.test_request_context("/r/bistro", headers={"Accept-Language": "fr"}):
        assert language() == _babel() == "fr"
        with force_locale("de"):
            assert language() == _babel() == "de"
            assert gettext("Date") == "Datum"
            refresh()  # keeps a forced locale
            assert language() == _babel() == "de"
            with force_locale("it"):
                assert language() == _babel() == "it"
            assert language() == _babel() == "de"
        assert language() == _babel() == "fr"
        assert gettext("Date") != "Datum"
        refresh()  # chosen again on the next lookup
        assert language() == _babel() == "fr"


def test_language_outside_a_request_is_english(app):
    assert language() == "en"
    with app.app_context():
        assert language() == "en"
        with force_locale("de"):
            assert language() == "de"
        assert language() == "en"
