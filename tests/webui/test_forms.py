"""Every form's validation: the guide's rules, through the provisioning checks, shown on the
field they are about; saving bumps config_version; deleting what is used is refused."""
import html
import re

import pytest

from vpbx.provisioning import apply as provision

from tests.support.webclient import post

from .conftest import config_versions, ids_in


def field_errors(page: str, name: str) -> list[str]:
    """The messages the form shows under the field `name`."""
    return [html.unescape(m) for m in re.findall(rf'<p class="error" id="{name}-error">(.*?)</p>',
                                                 page)]


def flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash \w+ noprint"[^>]*>(.*?)</p>',
                                                 page, re.S)]


def exported(conn) -> str:
    return provision.export_tenant(conn, "acme")


def config_version(conn) -> int:
    return config_versions(conn)["acme"]


def item_id(client, url: str, prefix: str, text: str) -> int:
    """The id of the item of a list page whose card or row mentions `text`."""
    page = client.get(url).get_data(as_text=True)
    for match in re.finditer(rf'id="{prefix}-(\d+)"(.*?)(?=id="{prefix}-\d+"|$)', page, re.S):
        if text in match.group(2):
            return int(match.group(1))
    raise AssertionError(f"{text} not on {url}")


USER = {"extension": "7970", "name": "Nora", "username": "nora", "password": "nora-s3cret",
        "direct_number": ""}
GROUP = {"name": "Night", "short_number": "450", "distribution": "cyclic", "rings": "3",
         "cycles": "3", "members": "7956, 7961", "no_answer": "hangup"}
RANGE = {"name": "Lunch", "days": ["mon", "tue"], "start-0": "12:00", "end-0": "13:30"}


# ---- users -----------------------------------------------------------------------------------

@pytest.mark.parametrize("change, field, message", [
    ({"password": ""}, "password", "required for a new user"),
    ({"extension": "79a"}, "extension", "must be 2 to 6 digits"),
    ({"extension": "7956"}, "extension", "7956 is already used by user 7956"),
    ({"extension": "401"}, "extension", "401 is already used by group Reception"),
    ({"username": "bad name"}, "username", "must be 1 to 64 characters"),
    ({"username": "julien"}, "username", "julien is already used by user 7956"),
    ({"password": "short"}, "password", "must be at least 8 characters"),
    ({"direct_number": "021 566 79 99"}, "direct_number", "must be an E.164 number"),
    ({"direct_number": "+41215667956"}, "direct_number", "is already used by user 7956"),
    ({"name": ""}, "name", "must be a text of 1 to 128 characters"),
    # ASCII digits only (Arabic-Indic and full-width digits look the same, cannot be dialled)
    ({"extension": "\u0667\u0669\u0667\u0660"}, "extension", "must be 2 to 6 digits"),
    ({"extension": "\uff17\uff19\uff17\uff10"}, "extension", "must be 2 to 6 digits"),
    ({"direct_number": "+４１215667999"}, "direct_number", "must be an E.164 number"),
    ({"name": "Nora\r\nX-Evil: 1"}, "name", "must not contain control characters"),
    ({"name": "Nora\x1b[31m"}, "name", "must not contain control characters"),
])
def test_user_form_validation(acme, change, field, message):
    response = post(acme, "/users/new", {**USER, **change})
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), field)
    assert any(message in error for error in errors), errors


def test_another_tenants_number_is_refused_without_naming_the_tenant(acme):
    page = post(acme, "/users/new", {**USER, "direct_number": "+41225550001"}).get_data(True)
    errors = field_errors(page, "direct_number")
    assert errors == ["+41225550001 is already in use by another subscriber of the platform"]
    assert "globex" not in page.lower()


def test_a_user_is_added_edited_and_deleted(acme, conn):
    before = config_version(conn)
    assert post(acme, "/users/new", {**USER, "extension": "7971", "username": "nora1",
                                     "direct_number": "+41215667971"}).status_code == 302
    assert config_version(conn) == before + 1        # the routing sees it on the next call
    user_id = item_id(acme, "/users/", "user", "nora1")
    form = acme.get(f"/users/{user_id}").get_data(as_text=True)
    assert 'value="7971"' in form and "readonly" in form
    saved = post(acme, f"/users/{user_id}", {"extension": "9999", "name": "Nora B.",
                                             "username": "nora1", "password": "",
                                             "direct_number": "+41215667971"})
    assert saved.status_code == 302
    assert "extension: \"7971\"\n    name: Nora B." in exported(conn)     # extension kept
    assert post(acme, f"/users/{user_id}/delete").status_code == 302
    assert "nora1" not in exported(conn)


def test_changing_a_username_needs_the_password(acme):
    user_id = item_id(acme, "/users/", "user", "paul")
    page = post(acme, f"/users/{user_id}", {"name": "Paul", "username": "paul2",
                                            "password": ""}).get_data(as_text=True)
    assert field_errors(page, "password") == [
        "required to change the username (the SIP digest depends on it)"]


def test_deleting_a_user_still_in_a_group_is_refused_naming_the_group(acme, conn):
    user_id = item_id(acme, "/users/", "user", "paul")
    page = post(acme, f"/users/{user_id}/delete", follow_redirects=True).get_data(True)
    assert "user 7950 cannot be deleted: group Support still uses it" in flashes(page)
    assert "paul" in exported(conn)


# ---- groups ----------------------------------------------------------------------------------

@pytest.mark.parametrize("change, field, message", [
    ({"short_number": "1401"}, "short_number", "must be a whole number from 200 to 999"),
    ({"short_number": "199"}, "short_number", "must be a whole number from 200 to 999"),
    ({"short_number": "abc"}, "short_number", "must be a whole number from 200 to 999"),
    ({"short_number": "402"}, "short_number", "402 is already used by group Support"),
    ({"short_number": "7956"}, "short_number", "must be a whole number from 200 to 999"),
    ({"name": "Support"}, "name", "Support is already used by group Support"),
    ({"members": "7956, 9999"}, "members", "no user has the extension 9999"),
    ({"members": "7956, 7956"}, "members", "7956 is listed twice"),
    ({"rings": "0"}, "rings", "must be a whole number from 1 to 20"),
    ({"cycles": "11"}, "cycles", "must be a whole number from 1 to 10"),
    ({"distribution": "round"}, "distribution", "must be one of cyclic"),
    ({"no_answer": "number", "no_answer_number": "12"}, "no_answer",
     "12 is not a telephone number: give a national number such as 021 721 11 12"),
    ({"no_answer": "group:Nowhere"}, "no_answer", "no group is named 'Nowhere'"),
    ({"no_answer": "voicemail:+41225550000"}, "no_answer",
     "+41225550000 is not one of this tenant's numbers"),
    ({"short_number": "\uff14\uff15\uff10"}, "short_number",           # full-width 450
     "must be a whole number from 200 to 999"),
    ({"short_number": "\u0664\u0665\u0660"}, "short_number",           # Arabic-Indic 450
     "must be a whole number from 200 to 999"),
    ({"members": "7956, \u0667\u0669\u0666\u0661"}, "members", "must be 2 to 6 digits"),
    ({"name": "Night\x00"}, "name", "must not contain control characters"),
])
def test_group_form_validation(acme, change, field, message):
    response = post(acme, "/groups/new", {**GROUP, **change})
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), field)
    assert any(message in error for error in errors), errors


def test_a_group_is_created_with_members_and_a_no_answer_number(acme, conn):
    response = post(acme, "/groups/new", {**GROUP, "name": "Evening", "short_number": "451",
                                          "distribution": "hierarchical", "cycles": "4",
                                          "no_answer": "number",
                                          "no_answer_number": "021 721 11 12"})
    assert response.status_code == 302
    text = exported(conn)
    block = text[text.index("name: Evening"):]
    assert 'short_number: 451\n    distribution: hierarchical' in block
    assert "cycles" not in block.split("- name")[0]          # only cyclic/random have cycles
    # stored +41217211112; acme has the access code on: the file writes it as dialled, after the 0
    assert 'members: ["7956", "7961"]' in block and 'no_answer: {number: "00217211112"}' in block
    page = acme.get("/groups/").get_data(as_text=True)
    assert "Evening" in page and "hierarchical (3 rings)" in page


def test_renaming_a_group_follows_into_the_numbers_that_use_it(acme, conn):
    post(acme, "/groups/new", {**GROUP, "name": "Old name", "short_number": "452"})
    post(acme, "/numbers/new", {"number": "+41215667900", "label": "Rename test",
                                "route-0-range": "Office hours", "route-0-to": "group:Old name",
                                "outside_hours": "group:Old name"})
    group_id = item_id(acme, "/groups/", "group", "Old name")
    assert post(acme, f"/groups/{group_id}", {**GROUP, "name": "New name",
                                              "short_number": "452"}).status_code == 302
    text = exported(conn)
    assert "Old name" not in text
    assert "{range: Office hours, to: {group: New name}}" in text
    assert "outside_hours: {group: New name}" in text


def test_deleting_a_group_still_used_is_refused_naming_where(acme, conn):
    group_id = item_id(acme, "/groups/", "group", "Reception")
    page = post(acme, f"/groups/{group_id}/delete", follow_redirects=True).get_data(True)
    assert "group Reception cannot be deleted: number +41215667955 still uses it" in flashes(page)
    assert "name: Reception" in exported(conn)


def test_the_group_sentence_is_the_guides(acme):
    text = (acme.get("/groups/sentence?distribution=cyclic&rings=3&cycles=3"
                                  "&members=7956,7961,7965,7969").get_data(as_text=True))
    assert text.startswith("The members' phones will ring 3 times in turn for 3 cycles before "
                           "the no-answer rules apply.")
    assert "within 3 minutes" in text            # 3 rings x 5 s x 4 members x 3 cycles
    post(acme, "/language", {"language": "fr"})
    try:
        text = (acme.get("/groups/sentence?distribution=cyclic&rings=3&cycles=3"
                                      "&members=7956,7961,7965,7969").get_data(as_text=True))
        assert text.startswith("Les téléphones des membres sonneront 3 fois à tour de rôle "
                               "pendant 3 cycles avant de suivre les règles de déviation.")
        assert "Si aucun membre du groupe ne répond au bout de 3 minutes" in text
    finally:
        post(acme, "/language", {"language": "en"})


def test_the_group_form_reminds_of_the_access_code(acme):
    """The reminder, the placeholder and the error give the same example (issue 25)."""
    page = acme.get("/groups/new").get_data(as_text=True)
    assert "national such as 021 721 11 12 or international such as +41 21 721 11 12, " \
           "with or without the 0 for an outside line" in page
    assert 'placeholder="e.g. 021 721 11 12"' in page
    assert "E.g. 273 (must be between 200 and 999)" in page and "1 ring = 5 seconds" in page


# ---- time ranges and holidays ----------------------------------------------------------------

@pytest.mark.parametrize("change, field, message", [
    ({"start-1": "11:00", "end-1": "13:00", "start-0": "08:00", "end-0": "12:00"}, "periods",
     "'08:00-12:00' and '11:00-13:00' overlap"),
    ({"start-1": "14:00"}, "periods", "Period 2: give both the start and the end."),
    ({"start-0": "", "end-0": ""}, "periods", "must be a list of one to three periods"),
    ({"start-0": "13:00", "end-0": "12:00"}, "periods", "the start must be before the end"),
    ({"end-0": "25:00"}, "periods", "times must be 00:00 to 24:00"),
    ({"days": []}, "days", "must be a list of at least one of mon"),
    ({"name": "Saturday"}, "name", "Saturday is already used by time range Saturday"),
    ({"start-0": "\u0661\u0662:00"}, "periods", "is not a period"),
    ({"name": "Lunch\nbreak"}, "name", "must not contain control characters"),
])
def test_time_range_form_validation(acme, change, field, message):
    response = post(acme, "/time-ranges/new", {**RANGE, **change})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.findall(r'<p class="error">(.*?)</p>', page) if field in ("periods", "days") \
        else field_errors(page, field)
    assert any(message in html.unescape(error) for error in errors), errors


def test_a_range_with_three_periods_and_the_end_of_day_is_saved(acme, conn):
    assert post(acme, "/time-ranges/new", {
        "name": "Shifts", "days": ["sat", "sun"], "start-0": "00:00", "end-0": "06:00",
        "start-1": "12:00", "end-1": "13:00", "start-2": "20:00", "end-2": "24:00"}
    ).status_code == 302
    assert ('- name: Shifts\n    days: [sat, sun]\n    periods: ["00:00-06:00", "12:00-13:00",'
            ' "20:00-24:00"]') in exported(conn)


def test_office_hours_cannot_be_deleted_or_renamed(acme, conn):
    range_id = item_id(acme, "/time-ranges/", "range", "Office hours")
    page = acme.get("/time-ranges/").get_data(as_text=True)
    card = page[page.index(f'id="range-{range_id}"'):]
    assert "Cannot be deleted" in card[:card.index("</header>")]
    refused = post(acme, f"/time-ranges/{range_id}/delete", follow_redirects=True)
    assert "Office hours cannot be deleted, only edited" in flashes(refused.get_data(True))
    renamed = post(acme, f"/time-ranges/{range_id}", {**RANGE, "name": "Opening"})
    assert renamed.status_code == 422
    assert "- name: Office hours" in exported(conn)


def test_renaming_a_range_follows_into_the_routes_and_deleting_it_is_refused(acme, conn):
    post(acme, "/time-ranges/new", {**RANGE, "name": "Early"})
    post(acme, "/numbers/new", {"number": "+41215667901", "route-0-range": "Early",
                                "route-0-to": "group:Support"})
    range_id = item_id(acme, "/time-ranges/", "range", "Early")
    post(acme, f"/time-ranges/{range_id}", {**RANGE, "name": "Earlier"})
    assert "{range: Earlier, to: {group: Support}}" in exported(conn)
    range_id = item_id(acme, "/time-ranges/", "range", "Earlier")
    page = post(acme, f"/time-ranges/{range_id}/delete", follow_redirects=True).get_data(True)
    assert "time range Earlier cannot be deleted: number +41215667901 still uses it" in \
        flashes(page)


def test_the_range_summary_is_live_and_in_both_languages(acme):
    query = ("/time-ranges/summary?days=mon&days=tue&days=wed&days=thu&days=fri"
             "&start-0=08:00&end-0=12:00&start-1=14:00&end-1=18:00")
    text = acme.get(query).get_data(as_text=True)
    assert "Monday to Friday, from 08:00 to 12:00 and from 14:00 to 18:00" in text
    assert text.count('class="tl-on"') == 10                    # 5 days x 2 periods
    post(acme, "/language", {"language": "fr"})
    try:
        text = acme.get(query).get_data(as_text=True)
        assert "du lundi au vendredi, de 08h00 à 12h00 et de 14h00 à 18h00" in text
    finally:
        post(acme, "/language", {"language": "en"})


@pytest.mark.parametrize("data, field, message", [
    ({"name": "Bad", "kind": "period", "from": "2027-05-02", "to": "2027-05-01"}, "to",
     "must not be before from"),
    ({"name": "Bad", "kind": "day", "date": ""}, "date", "must be a date YYYY-MM-DD"),
    ({"name": "", "kind": "day", "date": "2027-05-01"}, "name", "must be a text of 1 to 128"),
    ({"name": "Easter", "kind": "period", "from": "2027-03-26", "to": "2027-03-29"}, None,
     "the same as holiday Easter"),
    ({"name": "Xm\x1bas", "kind": "day", "date": "2027-12-25"}, "name",
     "must not contain control characters"),
])
def test_holiday_form_validation(acme, data, field, message):
    response = post(acme, "/time-ranges/holidays", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = field_errors(page, field) if field else \
        [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", page)]
    assert any(message in error for error in errors), errors


def test_holidays_are_added_as_days_or_periods_and_deleted(acme, conn):
    assert post(acme, "/time-ranges/holidays", {"name": "Xmas", "kind": "period",
                                                "from": "2027-12-24",
                                                "to": "2027-12-26"}).status_code == 302
    assert post(acme, "/time-ranges/holidays", {"name": "Day off", "kind": "day",
                                                "date": "2027-06-07"}).status_code == 302
    text = exported(conn)
    assert "{name: Xmas, from: 2027-12-24, to: 2027-12-26}" in text
    assert "{name: Day off, date: 2027-06-07}" in text
    page = acme.get("/time-ranges/holidays").get_data(as_text=True)
    holiday_id = int(re.search(r'/time-ranges/holidays/(\d+)/delete"[^>]*>\s*<input[^>]*>\s*'
                               r'<button[^>]*Delete Day off', page).group(1))
    post(acme, f"/time-ranges/holidays/{holiday_id}/delete")
    assert "Day off" not in exported(conn)


# ---- numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data, field, message", [
    ({"number": "0215667999"}, "number", "must be an E.164 number"),
    ({"number": "+41225550000"}, "number",
     "+41225550000 is already in use by another subscriber of the platform"),
    ({"number": "+41215667956"}, "number", "+41215667956 is already used by user 7956"),
    ({"number": "+41215667955"}, "number", "+41215667955 is already used by number"),
    ({"number": "+41215667990", "route-0-range": "Nope", "route-0-to": "hangup"}, "routes",
     "no time range is named 'Nope'"),
    ({"number": "+41215667990", "route-0-range": "Office hours", "route-0-to": "hangup",
      "route-1-range": "Office hours", "route-1-to": "hangup"}, "routes",
     "'Office hours' is already routed"),
    ({"number": "+41215667990", "outside_hours": "group:Nope"}, "outside_hours",
     "no group is named 'Nope'"),
])
def test_number_form_validation(acme, data, field, message):
    response = post(acme, "/numbers/new", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = field_errors(page, field) if field != "routes" else \
        [html.unescape(m) for m in re.findall(r'<p class="error">(.*?)</p>', page)]
    assert any(message in error for error in errors), errors


def test_a_number_is_routed_and_shown_as_a_call_flow(acme, conn):
    assert post(acme, "/numbers/new", {
        "number": "+41215667902", "label": "Hotline",
        "route-0-range": "Office hours", "route-0-to": "group:Reception",
        "route-1-range": "Saturday", "route-1-to": "number", "route-1-to_number": "021 555 00 00",
        "outside_hours": "voicemail:+41215667902"}).status_code == 302
    assert ('- {range: Office hours, to: {group: Reception}}\n'
            '      - {range: Saturday, to: {number: "00215550000"}}\n'
            '    outside_hours: {voicemail: "+41215667902"}') in exported(conn)
    number_id = item_id(acme, "/numbers/", "number", "Hotline")
    card = acme.get(f"/numbers/{number_id}/print").get_data(as_text=True)
    diagram = card[card.index('class="flow"'):]
    for shown in ("Office hours", "group Reception (401)", "7956 Julien", "7961 Marie",
                  "no answer", "voicemail of +41215667955", "external number +41215550000",
                  "Outside hours", "voicemail of +41215667902"):
        assert shown in html.unescape(diagram), shown


def test_deleting_a_number_whose_voicemail_is_used_is_refused(acme):
    number_id = item_id(acme, "/numbers/", "number", "+41215667955")
    page = post(acme, f"/numbers/{number_id}/delete", follow_redirects=True).get_data(True)
    assert "number +41215667955 cannot be deleted: group Reception still uses it" in \
        flashes(page)


def test_the_access_code_is_set_on_the_outgoing_tab(acme, conn):
    post(acme, "/outgoing/", {"access_code": "no"})
    assert "access_code: false" in exported(conn)
    assert "must start with a 0" not in acme.get("/numbers/new").get_data(as_text=True)
    post(acme, "/outgoing/", {"access_code": "yes"})
    assert "access_code: true" in exported(conn)


def test_saving_without_change_does_not_bump_the_config_version(acme, conn):
    group_id = item_id(acme, "/groups/", "group", "Support")
    before = config_version(conn)
    response = post(acme, f"/groups/{group_id}", {
        "name": "Support", "short_number": "402", "distribution": "hierarchical",
        "rings": "4", "members": "7950, 7956", "no_answer": "number",
        "no_answer_number": "0219876543"}, follow_redirects=True)
    assert "Nothing to change." in flashes(response.get_data(as_text=True))
    assert config_version(conn) == before


@pytest.mark.parametrize("lang, out_of_range, still_used", [
    ("fr", "doit être un nombre entier compris entre 200 et 999",
     "impossible de supprimer le groupe Reception : le numéro +41215667955 l'utilise encore"),
    ("de", "muss eine ganze Zahl von 200 bis 999 sein",
     "Gruppe Reception kann nicht gelöscht werden: wird noch verwendet von: "
     "Nummer +41215667955"),
])
def test_problems_are_translated(acme, lang, out_of_range, still_used):
    post(acme, "/language", {"language": lang})
    try:
        page = post(acme, "/groups/new", {**GROUP, "short_number": "1401"}).get_data(True)
        assert field_errors(page, "short_number") == [out_of_range]
        group_id = item_id(acme, "/groups/", "group", "Reception")
        page = post(acme, f"/groups/{group_id}/delete", follow_redirects=True).get_data(True)
        assert still_used in flashes(page)
    finally:
        post(acme, "/language", {"language": "en"})


def test_list_pages_show_ids_of_their_items(acme):
    assert len(ids_in(acme.get("/groups/").get_data(as_text=True), "group")) >= 2
