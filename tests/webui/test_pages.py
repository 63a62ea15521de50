"""What the pages show: every tab in the three languages, pictures (timelines, call flows), the
call-flow preview against `vpbx simulate`, the activity monitor, print views."""
import re

import pytest

from vpbx.command import simulate

from tests.support.webclient import post, text_of


TABS = ("/monitor/", "/numbers/", "/numbers/assigned", "/time-ranges/",
        "/time-ranges/holidays", "/groups/", "/users/", "/voicemail/", "/outgoing/", "/audio/",
        "/audio/announcements", "/directory/", "/preview/", "/account", "/monitor/print", "/numbers/new",
        "/groups/new", "/time-ranges/new", "/users/new", "/groups/print", "/numbers/print",
        "/time-ranges/print", "/users/print")


@pytest.mark.parametrize("url", TABS)
def test_every_tab_renders_in_english_french_and_german(acme, url):
    english = acme.get(url)
    assert english.status_code == 200, url
    try:
        for lang in ("fr", "de"):
            post(acme, "/language", {"language": lang})
            translated = acme.get(url)
            assert translated.status_code == 200
            assert f'<html lang="{lang}">' in translated.get_data(as_text=True)
    finally:
        post(acme, "/language", {"language": "en"})


@pytest.mark.parametrize("lang, groups_words, ranges_words, monitor_words", [
    ("fr", ("Imprimer tous les groupes", "Non-réponse", "Type : cyclique (3 sonneries, 2 cycles)"),
     ("Ouverture des bureaux", "Jours fériés et vacances"),
     ("Plage actuelle", "utilisateurs absents")),       # the guide's words
    ("de", ("Alle Gruppen drucken", "Keine Antwort", "Art: zyklisch (3 Klingelzeichen, 2 Zyklen)"),
     ("Bürozeiten", "Montag bis Freitag"), ("Aktueller Bereich", "Benutzer abwesend")),
])
def test_the_translated_pages_use_their_words(acme, lang, groups_words, ranges_words,
                                               monitor_words):
    post(acme, "/language", {"language": lang})
    try:
        for url, words in (("/groups/", groups_words), ("/time-ranges/", ranges_words),
                           ("/monitor/", monitor_words)):
            text = re.sub(r"\s+", " ", text_of(acme.get(url).get_data(as_text=True)))
            assert [word for word in words if word not in text] == [], url
    finally:
        post(acme, "/language", {"language": "en"})


def test_each_time_range_is_drawn_as_a_week_timeline(acme):
    page = acme.get("/time-ranges/").get_data(as_text=True)
    card = page[page.index("Office hours"):page.index("Saturday")]
    # 5 days x 2 periods: 08:00-12:00 is x = 60 + 480, width 240
    assert card.count('class="tl-on"') == 10
    assert '<rect x="540" y="7" width="240" height="38" class="tl-on">' in card
    assert "00:00" in card and "23:59" in card


def test_the_preview_shows_what_vpbx_simulate_computes(acme, conn):
    page = acme.get("/preview/?number=%2B41215667955&date=2027-03-24&time=09:15")
    text = re.sub(r"\s+", " ", text_of(page.get_data(as_text=True)))
    plan = simulate.simulate(conn, "acme", "+41215667955", "2027-03-24T09:15")
    assert plan.range == "Office hours" and "Range in force: Office hours" in text
    names = {"7956": "Julien", "7961": "Marie"}
    shown = re.findall(r"ring (\d+) \w+ for (\d+) s", text)
    expected = [(ring["members"][0], str(ring["seconds"]))
                for ring in plan.steps[0]["ring"]]
    assert shown == expected and all(names[ext] in text for ext, _ in expected)
    assert "voicemail of +41215667955" in text


@pytest.mark.parametrize("when, range_text, first", [
    ("2027-03-27&time=10:00", "holiday Easter (outside hours)", "voicemail of +41215667955"),
    ("2027-03-20&time=10:00", "Range in force: Saturday", "group Support"),
    ("2027-03-24&time=20:00", "Range in force: Outside hours", "voicemail of +41215667955"),
])
def test_the_preview_follows_ranges_and_holidays(acme, when, range_text, first):
    text = re.sub(r"\s+", " ", text_of(acme.get(
        f"/preview/?number=%2B41215667955&date={when}").get_data(as_text=True)))
    assert range_text in text and first in text


def test_a_group_short_number_can_be_previewed(acme):
    text = text_of(acme.get("/preview/?number=402&date=2027-03-24&time=09:00")
                   .get_data(as_text=True))
    assert "group Support" in text and "external number +41219876543" in text


def test_the_preview_shows_the_wait_before_a_member_rings_again(acme, conn):
    assert post(acme, "/groups/new", {"name": "Lone", "short_number": "455",
                                      "distribution": "cyclic", "rings": "1", "cycles": "2",
                                      "members": "7961", "no_answer": "hangup"}).status_code == 302
    page = acme.get("/preview/?number=455&date=2027-03-24&time=09:00").get_data(as_text=True)
    text = re.sub(r"\s+", " ", text_of(page))
    assert re.findall(r"(?:wait (\d+) s, then )?ring 7961 \w+ for 5 s", text) == ["", "6"]
    assert "During a wait the caller hears ringback" in text
    plan = simulate.simulate(conn, "acme", "455", "2027-03-24T09:00")
    assert [ring.get("wait") for ring in plan.steps[0]["ring"]] == [None, 6]


def test_a_bad_preview_date_says_so(acme):
    text = text_of(acme.get("/preview/?number=%2B41215667955&date=2027-13-45&time=09:00")
                   .get_data(as_text=True))
    assert "Give a valid date and time." in text


def test_the_monitor_shows_registrations_counts_and_the_current_range(acme, conn):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO location (ruid, username, domain, contact, expires)"
                    " VALUES ('r1', 'julien', 'acme.pbx.test', 'sip:julien@127.0.0.1:5070',"
                    " NOW() + INTERVAL 1 HOUR), ('r2', 'julien', 'acme.pbx.test',"
                    " 'sip:julien@127.0.0.1:5071', NOW() + INTERVAL 1 HOUR),"
                    " ('r3', 'marie', 'acme.pbx.test', 'sip:marie@127.0.0.1:5072',"
                    " NOW() - INTERVAL 1 MINUTE),"
                    " ('r4', 'gina', 'globex.pbx.test', 'sip:gina@127.0.0.1:5073',"
                    " NOW() + INTERVAL 1 HOUR)")
    try:
        page = acme.get("/monitor/state").get_data(as_text=True)
        text = re.sub(r"\s+", " ", text_of(page))
        assert "7956 Julien registered (2 phones)" in text
        assert "7961 Marie absent" in text                       # its binding expired
        assert "2 users absent" in text and "1 of 3 users have a phone registered" in text
        assert "Current range:" in text and "phones unavailable: unknown" in text
        full = acme.get("/monitor/").get_data(as_text=True)
        assert 'data-refresh="/monitor/state"' in full             # refreshes by itself
        assert '<meta http-equiv="refresh"' in full                 # also without JavaScript
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM location WHERE ruid IN ('r1', 'r2', 'r3', 'r4')")


def test_the_monitor_knows_busy_members_when_kamailio_answers(acme, conn, monkeypatch, platform):
    from vpbx.live import monitor as admin_live
    from vpbx.live import state as live
    monkeypatch.setattr(live, "_recent_dumps", {})
    monkeypatch.setattr(live, "user_failures", lambda cfg: [
        ("julien@acme.pbx.test", 45), ("marie@acme.pbx.test", 3),     # a few: no attack
        ("ceo@acme.pbx.test", 20), ("julien@globex.pbx.test", 99)])
    monkeypatch.setattr(live, "is_busy", lambda cfg, tenant_id, ext: ext == "7956")
    monkeypatch.setattr(live, "bans", lambda cfg: [
        ("password", "192.0.2.7 julien@acme.pbx.test", "5"),
        ("password", "192.0.2.9 admin@acme.pbx.test", "5"),
        ("password", "192.0.2.7 julien@globex.pbx.test", "5"),    # another tenant's
        ("flood", "192.0.2.8", "1")])                                # the carrier's business
    with conn.cursor() as cur:
        cur.execute("INSERT INTO location (ruid, username, domain, contact, expires) VALUES"
                    " ('b1', 'julien', 'acme.pbx.test', 'sip:j@h', NOW() + INTERVAL 1 HOUR),"
                    " ('b2', 'marie', 'acme.pbx.test', 'sip:m@h', NOW() + INTERVAL 1 HOUR)")
    try:
        from vpbx.provisioning.edit import read_config
        config = read_config(conn, "acme").config
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM tenants WHERE slug = 'acme'")
            tenant_id = cur.fetchone()["id"]
        state = admin_live.monitor(conn, platform[0], tenant_id, config)
        assert state.busy_known and state.states == {"7956": "busy", "7961": "registered",
                                                     "7950": "absent"}
        assert state.unavailable_phones == 1 and state.absent_users == 1
        assert state.lockouts == [
            admin_live.Lockout("192.0.2.9", "admin", None, None),
            admin_live.Lockout("192.0.2.7", "julien", "7956", "Julien")]
        assert state.attacks == [admin_live.Attack("julien", "7956", "Julien", 45),
                                 admin_live.Attack("ceo", None, None, 20)]
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM location WHERE ruid IN ('b1', 'b2')")


def test_the_monitor_prints_the_whole_configuration_in_plain_language(acme):
    text = re.sub(r"\s+", " ", text_of(acme.get("/monitor/print").get_data(as_text=True)))
    for expected in ("Configuration of ACME SA", "SIP domain: acme.pbx.test",
                     "External calls: dial 0 first",
                     "During the range Office hours: group Reception (401).",
                     "Outside hours and on holidays: voicemail of +41215667955.",
                     "Monday to Friday, from 08:00 to 12:00 and from 14:00 to 18:00",
                     "2027-03-26",
                     "Reception (short number 401)", "Members, in order: 7956 Julien, 7961 Marie",
                     "No answer › external number +41219876543.", "7950 Paul"):
        assert expected in text, expected


def test_print_views_have_the_print_layout(acme):
    for url in ("/groups/print", "/numbers/print", "/time-ranges/print", "/users/print",
                "/time-ranges/holidays?print=1", "/monitor/print"):
        page = acme.get(url).get_data(as_text=True)
        assert 'class="printing"' in page and 'class="print-head"' in page, url
    css = acme.get("/static/style.css").get_data(as_text=True)
    assert "@media print" in css and ".noprint" in css


def test_voicemail_and_audio_tabs_have_their_forms(acme):
    """(Voicemail and audio files have a back end: tests/media/test_webui_audio.py.)"""
    for url in ("/audio/", "/audio/announcements"):
        page = acme.get(url).get_data(as_text=True)
        assert 'enctype="multipart/form-data"' in page and "Not available yet." not in page, url
    page = acme.get("/voicemail/").get_data(as_text=True)
    assert "/voicemail/+41215667955" in page and "Not available yet." not in page


def test_pages_send_security_headers(acme):
    response = acme.get("/groups/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_users_page_filters(acme):
    text = text_of(acme.get("/users/?q=mar").get_data(as_text=True))
    assert "Marie" in text and "Julien" not in text


def test_the_health_check_and_the_landing_page(client, acme, operator):
    assert client.get("/healthz").json["status"] == "ok"
    assert client.get("/").location.endswith("/login")
    assert acme.get("/").location.endswith("/monitor/")
    assert operator.get("/").location.endswith("/platform/")
