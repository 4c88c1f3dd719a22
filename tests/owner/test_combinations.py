"""The table combinations page: listed with their tables and party range, added with
checkboxes, edited, removed (CSRF), in English and German; staff and other restaurants
kept out (both backends)."""

from __future__ import annotations

import html

from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, join_tables, make_owner, make_restaurant
from webapp.models import TableCombination

PAGE = "/owner/chez-test/tables/combinations"
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def ids(restaurant) -> dict[str, int]:
    return {t.name: t.id for t in restaurant.tables}


def names(session, restaurant) -> list[tuple]:
    session.expire_all()
    return [(c.name, c.min_party, c.max_party, sorted(m.table.name for m in c.members))
            for c in session.scalars(select(TableCombination).where(
                TableCombination.restaurant_id == restaurant.id).order_by(TableCombination.id))]


def test_the_tables_page_links_to_the_combinations(owner_client):
    page = owner_client.get("/owner/chez-test/tables").get_data(as_text=True)
    assert f'href="{PAGE}"' in page


def test_add_list_edit_remove(owner_client, session, restaurant):
    t = ids(restaurant)
    page = owner_client.get(PAGE).get_data(as_text=True)
    assert "No combinations yet." in page
    for name in ("T1", "T2", "T3"):
        assert f'name="tables" value="{t[name]}"' in page
    added = owner_client.post_form(PAGE, {"tables": [str(t["T2"]), str(t["T3"])]})
    assert added.status_code == 303
    assert names(session, restaurant) == [("T2 + T3", 5, 8, ["T2", "T3"])]
    page = owner_client.get(PAGE).get_data(as_text=True)
    assert "Combination T2 + T3 added." in page
    row = page.split('data-combination="T2 + T3"')[1].split("</tr>")[0]
    assert "T2, T3" in row and "5–8" in row

    combination = session.scalars(select(TableCombination)).one()
    edit = f"{PAGE}/{combination.id}"
    form = owner_client.get(edit).get_data(as_text=True)
    assert f'value="{t["T2"]}" checked' in form and f'value="{t["T1"]}">' in form
    saved = owner_client.post_form(edit, {"tables": [str(t["T1"]), str(t["T2"]), str(t["T3"])],
                                          "name": "Long table", "min_party": "7",
                                          "max_party": "10", "position": "0"})
    assert saved.status_code == 303
    assert names(session, restaurant) == [("Long table", 7, 10, ["T1", "T2", "T3"])]

    # Without the CSRF token nothing is removed.
    owner_client.post(f"{edit}/delete")
    assert len(names(session, restaurant)) == 1
    removed = owner_client.post_form(f"{edit}/delete")
    assert removed.status_code == 303 and names(session, restaurant) == []
    assert owner_client.get(edit).status_code == 404


def test_a_refusal_is_shown_under_its_field(owner_client, session, restaurant):
    t = ids(restaurant)
    refused = owner_client.post_form(PAGE, {"tables": [str(t["T2"])], "name": "Solo"})
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert '<small id="tables-error" class="field-error">Choose 2 or 3 tables to join.' in page
    assert 'value="Solo"' in page  # what the owner typed stays
    assert names(session, restaurant) == []


def test_german(owner_client, session, restaurant):
    t = ids(restaurant)
    page = owner_client.get(PAGE, headers=GERMAN).get_data(as_text=True)
    assert "Tischkombinationen" in page and "Kombination hinzufügen" in page
    assert "Zusammenzustellende Tische" in page
    join_tables(session, restaurant, ["T2", "T3"], 5, 8)
    refused = owner_client.post_form(PAGE, {"tables": [str(t["T3"]), str(t["T2"])]},
                                     headers=GERMAN)
    assert refused.status_code == 422
    assert "Eine andere Kombination stellt schon diese Tische zusammen." in \
        refused.get_data(as_text=True)
    added = owner_client.post_form(PAGE, {"tables": [str(t["T1"]), str(t["T2"])]},
                                   headers=GERMAN, follow_redirects=True)
    assert "Kombination T1 + T2 hinzugefügt." in added.get_data(as_text=True)


def test_staff_and_other_restaurants_are_kept_out(client, session, restaurant):
    other = make_restaurant(session, slug="other-place", tables=[("A", 2), ("B", 2)])
    theirs = join_tables(session, other, ["A", "B"], 3, 4)
    make_owner(session, restaurant, "staff@example.com", role="staff")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    assert client.get(PAGE).status_code == 403
    make_owner(session, restaurant, "boss@example.com")
    client.post_form("/logout")
    client.login("boss@example.com", DEFAULT_PASSWORD)
    assert client.get(f"{PAGE}/{theirs.id}").status_code == 404
    assert client.post_form(f"{PAGE}/{theirs.id}/delete").status_code == 404
    assert session.get(TableCombination, theirs.id) is not None
