"""The main journeys in a real headless Chromium (Debian's `chromium`, driven by Playwright):
sign in, add a user, create a group with members, add a time range, route a number, preview
a call, watch the monitor update by itself. Screenshots go to tests/artifacts/webui/.

The tests of this module run in order on one signed-in page, each journey building on the
one before, as an administrator would.
"""
import os
import re
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from waitress.server import create_server

from webui.app import create_app

from .conftest import LOGINS, PASSWORD, ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "webui")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(platform):
    """The web UI served by waitress on a free port, on the module's database."""
    cfg, _accounts = platform
    app = create_app(cfg, {"ASK_KAMAILIO": False, "MONITOR_REFRESH_SECONDS": 1})
    httpd = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()


@pytest.fixture(scope="module")
def page(server):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium")
    os.makedirs(ARTIFACTS, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(base_url=server, locale="en-GB",
                                      viewport={"width": 1200, "height": 900})
        context.set_default_timeout(5000)
        tab = context.new_page()
        errors = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("console", lambda message: message.type == "error"
               and not message.text.startswith("Failed to load resource")   # 401/422 pages
               and errors.append(message.text))
        yield tab
        assert not errors, errors             # no script error and no CSP violation
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def test_sign_in(page):
    page.goto("/monitor/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#login", LOGINS["acme"])
    page.fill("#password", "not the password")
    page.click("button.primary")
    expect(page.locator(".errors")).to_have_text("Wrong login or password.")
    page.fill("#login", LOGINS["acme"])
    page.fill("#password", PASSWORD)
    shot(page, "01-sign-in")
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("Activity monitor")
    expect(page.locator(".tenant-name")).to_have_text("ACME SA")
    shot(page, "02-monitor")


def test_add_a_user(page):
    page.click("nav.tabs >> text=Users")
    page.click("text=Add a user")
    page.fill("#extension", "7990")
    page.fill("#name", "Zoé")
    page.fill("#username", "zoe")
    page.fill("#password", "zoe-s3cret")
    page.fill("#direct_number", "+41215667990")
    shot(page, "03-user-form")
    page.click("button:has-text('Save')")
    expect(page.locator(".flash.ok")).to_have_text("Saved.")
    row = page.locator("#users tr", has_text="Zoé")
    expect(row).to_contain_text("7990")
    expect(row).to_contain_text("+41215667990")
    shot(page, "04-users")


def test_create_a_group_with_members(page):
    page.click("nav.tabs >> text=Groups")
    page.click("text=Add a group")
    page.fill("#name", "Sales team")
    page.fill("#short_number", "480")
    page.select_option("#distribution", "hierarchical")
    expect(page.locator("#field-cycles")).to_be_hidden()          # only cyclic and random
    page.select_option("#distribution", "cyclic")
    expect(page.locator("#field-cycles")).to_be_visible()
    page.select_option("#rings", "2")
    page.select_option("#cycles", "3")
    page.fill("[data-picker-filter]", "zo")                      # the members picker
    page.click("[data-add='7990']")
    page.fill("[data-picker-filter]", "")
    page.click("[data-add='7956']")
    expect(page.locator("#members")).to_have_value("7990, 7956")
    page.locator("[data-member='7956'] button[title='up']").click()
    expect(page.locator("#members")).to_have_value("7956, 7990")
    sentence = page.locator("#group-sentence")
    expect(sentence).to_contain_text("will ring 2 times in turn for 3 cycles")
    expect(sentence).to_contain_text("within 1 minute")          # 2 rings x 5 s x 2 x 3
    expect(page.locator("[data-number-for='no_answer']")).to_be_hidden()
    page.select_option("#no_answer", "number")
    page.fill("[data-number-for='no_answer']", "021 555 12 12")
    expect(page.locator(".reminder")).to_contain_text("021 721 11 12 or international such as "
                                                      "+41 21 721 11 12")
    shot(page, "05-group-form")
    page.click("button:has-text('Save')")
    # the number as typed and as understood (issue 25): acme has the access code on, and a
    # national number without it is still the Swiss number, not "0" + "215551212"
    expect(page.locator(".flash.ok", has_text="External number")).to_have_text(
        "External number 021 555 12 12 → +41215551212")
    card = page.locator("article", has_text="Sales team")
    expect(card).to_contain_text("cyclic (2 rings, 3 cycles)")
    expect(card).to_contain_text("7990")
    expect(card).to_contain_text("external number +41215551212")
    shot(page, "06-groups")


def test_the_group_form_reports_problems_on_their_fields(page):
    page.click("text=Add a group")
    page.fill("#name", "Clash")
    page.fill("#short_number", "480")
    page.click("button:has-text('Save')")
    expect(page.locator("#short_number-error")).to_have_text(
        "480 is already used by group Sales team")
    shot(page, "07-group-problem")


def test_an_external_number_on_a_phone_screen(page):
    """At 390 px: a number that is none is refused next to its field and kept as typed; an
    international one is shown back as understood (issue 25)."""
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto("/groups/new")
        page.fill("#name", "Night line")
        page.fill("#short_number", "481")
        page.select_option("#distribution", "hierarchical")
        page.select_option("#no_answer", "number")
        number = page.locator("[data-number-for='no_answer']")
        number.fill("12345")
        page.click("button:has-text('Save')")
        expect(page.locator("#no_answer-error")).to_have_text(
            "12345 is not a telephone number: give a national number such as 021 721 11 12 or "
            "an international one such as +41 21 721 11 12")
        page.locator("#no_answer-error").scroll_into_view_if_needed()
        expect(page.locator("#no_answer-error")).to_be_in_viewport()
        expect(number).to_have_value("12345")
        number.fill("0041 21 555 12 13")
        page.click("button:has-text('Save')")
        echo = page.locator(".flash.ok", has_text="External number")
        expect(echo).to_have_text("External number 0041 21 555 12 13 → +41215551213")
        expect(echo).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "07b-external-number-390")
    finally:
        page.set_viewport_size({"width": 1200, "height": 900})


def test_add_a_time_range(page):
    page.click("nav.tabs >> text=Time ranges")
    page.click("text=Add a range")
    page.fill("#name", "Evening")
    page.fill("input[name='start-0']", "18:00")
    page.fill("input[name='end-0']", "21:00")
    page.check("input[value='sat']")
    summary = page.locator("[data-summary-text]")
    expect(summary).to_have_text("Monday to Saturday, from 18:00 to 21:00")   # live
    expect(page.locator("[data-summary] rect.tl-on")).to_have_count(6)
    page.fill("input[name='start-1']", "20:00")
    page.fill("input[name='end-1']", "22:00")
    page.click("button:has-text('Save')")
    expect(page.locator(".error")).to_contain_text("overlap")
    page.fill("input[name='start-1']", "")
    page.fill("input[name='end-1']", "")
    shot(page, "08-range-form")
    page.click("button:has-text('Save')")
    card = page.locator("article", has_text="Evening")
    expect(card.locator("rect.tl-on")).to_have_count(6)
    shot(page, "09-ranges")


def test_route_a_number(page):
    page.click("nav.tabs >> text=Numbers")
    page.click("text=Add a number")
    page.fill("#number", "+41215667970")
    page.fill("#label", "Sales line")
    page.select_option("select[name='route-0-range']", "Evening")
    page.select_option("select[name='route-0-to']", "group:Sales team")
    page.select_option("#outside_hours", "voicemail:+41215667955")
    shot(page, "10-number-form")
    page.click("button:has-text('Save')")
    card = page.locator("article", has_text="Sales line")
    flow = card.locator(".flow-row").first
    expect(flow).to_contain_text("Evening")
    expect(flow).to_contain_text("group Sales team (480)")
    expect(flow).to_contain_text("7990 Zoé")
    expect(flow).to_contain_text("external number +41215551212")
    shot(page, "11-numbers")


def test_preview_a_call(page):
    page.click("nav.tabs >> text=Call preview")
    page.select_option("#number", "+41215667970")
    page.fill("#date", "2027-03-24")
    page.fill("#time", "19:00")
    page.click("button:has-text('Preview')")
    plan = page.locator("#plan")
    expect(plan).to_contain_text("Range in force: Evening")
    rings = plan.locator("ol.rings li")
    expect(rings).to_have_count(6)                               # 2 members x 3 cycles
    expect(rings.first).to_have_text(re.compile(r"ring\s+7956 Julien\s+for 10 s"))
    expect(plan).to_contain_text("external number +41215551212")
    shot(page, "12-preview")


def test_the_monitor_updates_by_itself(page, platform):
    from vpbx.storage import connection as db
    page.click("nav.tabs >> text=Activity monitor")
    member = page.locator(".group-state", has_text="Sales team").locator("tr", has_text="Zoé")
    expect(member).to_contain_text("absent")
    conn = db.connect(platform[0])
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO location (ruid, username, domain, contact, expires) VALUES"
                        " ('browser-1', 'zoe', 'acme.pbx.test', 'sip:zoe@127.0.0.1:5099',"
                        " NOW() + INTERVAL 1 HOUR)")
        expect(member).to_contain_text("registered", timeout=5000)   # no reload
        shot(page, "13-monitor-live")
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM location WHERE ruid = 'browser-1'")
        conn.close()


def test_french_and_print_views(page):
    page.click("button[value='fr']")
    page.click("nav.tabs >> text=Groupes")
    expect(page.locator("h1")).to_have_text("Groupes")
    page.click("text=Ajouter un groupe")
    expect(page.locator("#group-sentence")).to_contain_text("Les téléphones des membres sonneront")
    shot(page, "14-group-form-fr")
    page.goto("/monitor/print")
    page.emulate_media(media="print")
    expect(page.locator("nav.tabs")).to_be_hidden()
    shot(page, "15-whole-configuration-print")
    page.emulate_media(media="screen")
    page.click("button[value='en']")
    expect(page.locator("h1")).to_have_text("Configuration of ACME SA")


def test_german_pages_and_a_problem_in_german_and_french(page):
    page.click("button[value='de']")
    page.click("nav.tabs >> text=Gruppen")
    expect(page.locator("h1")).to_have_text("Gruppen")
    page.click("text=Gruppe hinzufügen")
    expect(page.locator("#group-sentence")).to_contain_text(
        "Die Telefone der Mitglieder klingeln 3-mal nacheinander während 1 Zyklus")
    page.fill("#name", "Konflikt")
    page.fill("#short_number", "480")
    page.click("button:has-text('Speichern')")
    expect(page.locator("#short_number-error")).to_have_text(
        "480 wird bereits verwendet von: Gruppe Sales team")
    shot(page, "16-group-problem-de")
    page.click("button[value='fr']")
    expect(page.locator("#short_number-error")).to_have_count(0)    # a new page, in French
    page.fill("#name", "Conflit")
    page.fill("#short_number", "480")
    page.click("button:has-text('Enregistrer')")
    expect(page.locator("#short_number-error")).to_have_text(
        "480 est déjà utilisé par le groupe Sales team")
    page.click("button[value='de']")
    page.goto("/monitor/print")
    expect(page.locator("h1")).to_have_text("Konfiguration von ACME SA")
    expect(page.locator("main")).to_contain_text(re.compile(
        r"Gedruckt am (Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), "
        r"\d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|"
        r"November|Dezember) \d{4} \d\d:\d\d\."))
    shot(page, "17-whole-configuration-de")
    page.click("button[value='en']")
    expect(page.locator("h1")).to_have_text("Configuration of ACME SA")


def test_call_records_in_the_tenants_time_zone(page, platform):
    """acme is in Europe/Zurich: a call at 06:30 UTC on 10 July began at 08:30 there; a call
    that reached the voicemail is found by the voicemail filter; 60 calls make two pages
    with their totals, durations as m:ss."""
    from vpbx.records import call_records as cdr
    from vpbx.storage import connection as db
    conn = db.connect(platform[0])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM tenants WHERE slug = 'acme'")
            acme = cur.fetchone()["id"]
            cur.execute("DELETE FROM call_records")
            events = [{"kind": "start", "call_id": "browser-r1", "ts": 1_815_201_000,
                       "tenant_id": acme, "callee_tenant_id": acme, "caller": "summer-caller",
                       "dialled": "7961", "on_net": 1},
                      {"kind": "answer", "call_id": "browser-r1", "ts": 1_815_201_005,
                       "callee": "7961", "member": "7961"},
                      {"kind": "end", "call_id": "browser-r1", "ts": 1_815_201_130,
                       "final_code": 200, "outcome": "answered"},
                      {"kind": "start", "call_id": "browser-vm", "ts": 1_815_200_000,
                       "tenant_id": acme, "callee_tenant_id": acme, "caller": "0791112233",
                       "dialled": "+41215550100", "on_net": 0},
                      {"kind": "answer", "call_id": "browser-vm", "ts": 1_815_200_001,
                       "callee": "+41215550100"},
                      {"kind": "end", "call_id": "browser-vm", "ts": 1_815_200_031,
                       "final_code": 200, "outcome": "voicemail"}]
            for i in range(58):
                events.append({"kind": "start", "call_id": f"browser-m{i}", "ts": 1_800_000_000
                               + i * 60, "tenant_id": acme, "caller": f"old-{i:02d}",
                               "dialled": "7961", "on_net": 1})
                events.append({"kind": "end", "call_id": f"browser-m{i}",
                               "ts": 1_800_000_010 + i * 60, "final_code": 487,
                               "outcome": "missed"})
            for event in events:
                cdr.store_event(cur, event)
        page.click("nav.tabs >> text=Call records")
        row = page.locator("#calls tr", has_text="summer-caller")
        expect(row).to_contain_text("2027-07-10 08:30:00")
        expect(row.locator("td").nth(5)).to_have_text("2:05")
        expect(page.locator("p.zone")).to_have_text("Times in the time zone Europe/Zurich.")
        expect(page.locator("#calls-totals")).to_have_text("60 calls · total duration 2:35")
        expect(page.locator("#calls tbody tr")).to_have_count(50)
        shot(page, "18-call-records")
        page.click("nav.pages >> text=Next")
        expect(page.locator(".page-of")).to_have_text("Page 2 of 2")
        expect(page.locator("#calls tbody tr")).to_have_count(10)
        expect(page.locator("#calls")).to_contain_text("old-00")
        page.select_option("select[name=outcome]", "voicemail")
        page.click("form.filters button")
        expect(page.locator("#calls tbody tr")).to_have_count(1)
        expect(page.locator("#calls tbody tr")).to_contain_text("0791112233")
        expect(page.locator("#calls tbody tr")).to_contain_text("voicemail")
        expect(page.locator("#calls-totals")).to_have_text("1 call · total duration 0:30")
        page.set_viewport_size({"width": 390, "height": 844})
        page.click("button[value='fr']")
        expect(page.locator("#calls-totals")).to_have_text("1 appel · durée totale 0:30")
        expect(page.locator("#calls tbody tr")).to_contain_text("messagerie")
        expect(page.locator("#calls-totals")).to_be_in_viewport()
        shot(page, "19-call-records-fr-390px")
        page.click("button[value='en']")
    finally:
        page.set_viewport_size({"width": 1200, "height": 900})
        with conn.cursor() as cur:
            cur.execute("DELETE FROM call_records WHERE call_id LIKE 'browser-%'")
        conn.close()
