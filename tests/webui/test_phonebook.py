"""The phones' XML phonebook behind their SIP credentials (HTTP Digest), and the SIP edge's
password guard in front of it (webui.sipdigest). Kamailio's tables are a dict here
(tests/support/guardtables.py); tests/integration/test_auth_guard.py has the real ones."""
from vpbx.edge import password_guard as authguard
from vpbx.records import log_line as logline
from vpbx.settings.platform import AUTH_ATTACK_FAILURES, AUTH_FAILURES

from tests.support.httpdigest import authorization, challenge_fields
from tests.support.webclient import post

URL = "/phonebook/acme.pbx.test.xml"
DOMAIN = "acme.pbx.test"
GUESSER = {"environ_base": {"REMOTE_ADDR": "192.0.2.66"}}


def digest_get(client, url, username, password, **options):
    """GET with HTTP Digest (qop=auth), as a desk phone does: the challenge, then the answer."""
    challenge = client.get(url, **options)
    assert challenge.status_code == 401
    fields = challenge_fields(challenge.headers["WWW-Authenticate"])
    return client.get(url, headers={"Authorization": authorization(
        fields, "GET", url, username, password)}, **options)


def auth_lines(caplog, **match) -> list[dict]:
    """The VPBX-AUTH lines the web UI logged whose fields equal `match`."""
    found = []
    for record in caplog.records:
        text = record.getMessage()
        if text.startswith(logline.AUTH_TAG + " "):
            fields = logline.parse(text)
            if all(fields.get(k) == v for k, v in match.items()):
                found.append(fields)
    return found


def test_a_phone_reads_its_tenants_directory_with_its_sip_credentials(acme, app, empty_directory):
    post(acme, "/directory/", {"name": "Plumber & Sons", "number": "0219876543", "short": "3435"})
    phone = app.test_client()
    response = digest_get(phone, URL, "julien", "Julien-s3cret!")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    assert "<Name>Plumber &amp; Sons</Name><Telephone>+41219876543</Telephone>" in xml
    assert "<Telephone>7956</Telephone>" in xml                        # Julien, a user
    assert digest_get(phone, URL, "julien", "wrong password").status_code == 401
    assert phone.get(URL).status_code == 401                           # no credentials


def test_a_phone_of_another_tenant_cannot_read_it(app, empty_directory):
    response = digest_get(app.test_client(), URL, "lena", "whatever-pass1")     # globex's
    assert response.status_code == 401



def test_an_unknown_domain_is_answered_as_a_real_one(app, empty_directory, caplog):
    """Tenant domains cannot be enumerated: a challenge for the realm asked, then another."""
    unknown = app.test_client().get("/phonebook/nowhere.test.xml")
    real = app.test_client().get(URL)
    assert unknown.status_code == real.status_code == 401
    assert 'realm="nowhere.test"' in unknown.headers["WWW-Authenticate"]
    assert digest_get(app.test_client(), "/phonebook/nowhere.test.xml", "julien",
                      "whatever").status_code == 401
    assert auth_lines(caplog, outcome="unknown_domain", domain="nowhere.test")


def test_a_guesser_is_banned_after_the_edges_limit_even_with_the_right_password(
        app, guard_tables, caplog):
    phone = app.test_client()
    codes = [digest_get(phone, URL, "marie", f"guess-{n}", **GUESSER).status_code
             for n in range(AUTH_FAILURES)]
    assert codes == [401] * (AUTH_FAILURES - 1) + [403]
    wrong = auth_lines(caplog, outcome="wrong_password", source="192.0.2.66")
    assert len(wrong) == AUTH_FAILURES
    assert wrong[0]["tenant"] == "acme" and wrong[0]["auth_user"] == "marie"
    assert wrong[0]["decision"] == "auth:PHONEBOOK" and wrong[0]["call_id"].startswith("http-")
    (ban,) = auth_lines(caplog, outcome="banned")
    assert ban["failures"] == str(AUTH_FAILURES) and ban["source"] == "192.0.2.66"
    # the ban is the SIP edge's: the same table and key as kemi/digest.py's
    assert guard_tables.items[(authguard.BANS_TABLE,
                               authguard.key("192.0.2.66", "marie", DOMAIN))] == AUTH_FAILURES
    # refused before any check, even the right password, and without a line per request
    assert digest_get(phone, URL, "marie", "Marie-s3cret!", **GUESSER).status_code == 403
    assert len(auth_lines(caplog)) == AUTH_FAILURES + 1
    # marie's own phone, elsewhere, and another user from the guesser's address go on
    assert digest_get(phone, URL, "marie", "Marie-s3cret!").status_code == 200
    assert digest_get(phone, URL, "paul", "Paul-s3cret!", **GUESSER).status_code == 200


def test_a_guesser_spread_over_many_addresses_is_reported_as_at_the_sip_edge(app, caplog):
    phone = app.test_client()
    addresses = [f"198.51.100.{n}" for n in range(1, AUTH_ATTACK_FAILURES // AUTH_FAILURES + 1)]
    for address in addresses:
        for n in range(AUTH_FAILURES):
            digest_get(phone, URL, "paul", f"guess-{n}", environ_base={"REMOTE_ADDR": address})
    (alert,) = auth_lines(caplog, outcome="under_attack", auth_user="paul")
    assert alert["failures"] == str(AUTH_ATTACK_FAILURES) and alert["source"] == addresses[-1]
    assert len(auth_lines(caplog, outcome="banned", auth_user="paul")) == len(addresses)
    assert digest_get(phone, URL, "paul", "Paul-s3cret!").status_code == 200   # not locked


def test_a_ban_begun_at_the_sip_edge_refuses_the_phonebook_too(app, guard_tables):
    guard_tables.set(authguard.BANS_TABLE, authguard.key("192.0.2.67", "paul", DOMAIN), 5)
    phone = app.test_client()
    response = digest_get(phone, URL, "paul", "Paul-s3cret!",
                          environ_base={"REMOTE_ADDR": "192.0.2.67"})
    assert response.status_code == 403


def test_a_replayed_nonce_gets_a_fresh_challenge(app):
    phone = app.test_client()
    fields = challenge_fields(phone.get(URL).headers["WWW-Authenticate"])
    signed = authorization(fields, "GET", URL, "julien", "Julien-s3cret!")
    assert phone.get(URL, headers={"Authorization": signed}).status_code == 200
    replayed = phone.get(URL, headers={"Authorization": signed})
    assert replayed.status_code == 401
    assert challenge_fields(replayed.headers["WWW-Authenticate"])["nonce"] != fields["nonce"]
    counted_on = authorization(fields, "GET", URL, "julien", "Julien-s3cret!", nc=2)
    assert phone.get(URL, headers={"Authorization": counted_on}).status_code == 401
    forged = authorization(fields, "GET", URL, "julien", "Julien-s3cret!",
                           nonce="1-00-" + "0" * 32)
    assert phone.get(URL, headers={"Authorization": forged}).status_code == 401


def test_the_user_name_must_be_the_stored_one_exactly(app, caplog):
    """The table's collation finds `julien` for `JULIEN`: with julien's digest, refused."""
    phone = app.test_client()
    fields = challenge_fields(phone.get(URL).headers["WWW-Authenticate"])
    header = authorization(fields, "GET", URL, "julien", "Julien-s3cret!")
    shouted = header.replace('username="julien"', 'username="JULIEN"')
    assert phone.get(URL, headers={"Authorization": shouted}).status_code == 401
    assert auth_lines(caplog, outcome="unknown_user", auth_user="JULIEN")


def test_without_the_guard_the_phonebook_checks_no_password(app, guard_tables, caplog):
    """Kamailio's RPC does not answer: 503, whatever the password (fail closed)."""
    guard_tables.away = True
    phone = app.test_client()
    response = digest_get(phone, URL, "julien", "Julien-s3cret!")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert auth_lines(caplog, outcome="guard_unavailable", auth_user="julien")
    guard_tables.away = False
    assert digest_get(phone, URL, "julien", "Julien-s3cret!").status_code == 200


def test_with_no_kamailio_to_ask_the_real_guard_fails_closed(platform):
    """The app's own guard (Kamailio's tables over the RPC), with no Kamailio running for
    this configuration: 503, no password checked."""
    from webui.app import create_app
    app = create_app(platform[0], {"TESTING": True, "ASK_KAMAILIO": False})
    response = digest_get(app.test_client(), URL, "julien", "Julien-s3cret!")
    assert response.status_code == 503


def test_a_domain_no_tenant_has_bans_a_guesser_exactly_as_a_tenants_domain(
        app, guard_tables, caplog):
    """No oracle in the sequence either: a tenant's domain bans (address, user) after the
    edge's limit, and so does a domain no tenant has (the same guard, the same key)."""
    phone = app.test_client()
    codes = {}
    for domain in (DOMAIN, "nowhere.test"):
        url = f"/phonebook/{domain}.xml"
        codes[domain] = [digest_get(phone, url, "probe1", f"guess-{n}", **GUESSER).status_code
                         for n in range(AUTH_FAILURES + 2)]
    assert codes[DOMAIN] == codes["nowhere.test"] == [401] * (AUTH_FAILURES - 1) + [403] * 3
    assert guard_tables.items[(authguard.BANS_TABLE,
                               authguard.key("192.0.2.66", "probe1", "nowhere.test"))]
    assert len(auth_lines(caplog, outcome="unknown_domain", domain="nowhere.test")) \
        == AUTH_FAILURES
    (ban,) = auth_lines(caplog, outcome="banned", tenant=None)
    assert ban["auth_user"] == "probe1" and ban["source"] == "192.0.2.66"


def test_a_domain_that_is_not_a_dns_name_is_a_plain_404(app, caplog):
    """Echoed as the realm, such a domain broke the header (a 500 and a traceback beyond
    Latin-1) or added parameters of its own to the challenge (`", nonce="`)."""
    client = app.test_client()
    for path in ("/phonebook/%FF%FE.xml", "/phonebook/x%22,%20nonce=%22attacker-chosen.xml",
                 "/phonebook/%E4%BE%8B.pbx.test.xml", "/phonebook/x%0Ay.pbx.test.xml",
                 "/phonebook/x%1B[2J.xml", "/phonebook/-x.test.xml", "/phonebook/.xml"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "WWW-Authenticate" not in response.headers
    assert not auth_lines(caplog)
