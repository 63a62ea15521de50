"""Shared fixtures: the platform configuration and throwaway databases."""
import os

import pytest

from vpbx.settings import platform as config
from vpbx.storage import connection as db
from tests.support import instance
from vpbx.stack.control import log_slice

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def platform_config() -> config.Config:
    """The configuration `make test` set up; its database user may create test databases."""
    return config.load()


@pytest.fixture
def throwaway_db(platform_config, tmp_path, monkeypatch):
    """A fresh migrated database and a config file pointing to it ($VPBX_CONFIG is set).

    Yields the instance Config; `db.connect(cfg)` opens a connection to the database.
    """
    name = instance.create_database(platform_config)
    cfg = instance.write_instance_config(platform_config, str(tmp_path), name)
    monkeypatch.setenv("VPBX_CONFIG", cfg.path)
    try:
        yield cfg
    finally:
        instance.drop_database(platform_config, name)


FIXTURE_PLATFORM = os.path.join(ROOT, "tests", "fixtures", "platform.yaml")


def assign_fixture_numbers(cfg) -> None:
    """Assign the numbers tests/fixtures/platform.yaml gives the test tenants (acme,
    globex), as a carrier does before their files are applied; the rest of that platform
    file (the carrier) is left out, for the tests of platform files themselves."""
    import yaml
    with open(FIXTURE_PLATFORM, encoding="utf-8") as handle:
        assign_numbers(cfg, yaml.safe_load(handle)["platform"]["numbers"])


def assign_numbers(cfg, numbers: dict[str, list[str]]) -> None:
    """Assign blocks of numbers to tenants (short name → blocks) in the database of `cfg`."""
    connection = db.connect(cfg)
    try:
        with connection.cursor() as cur:
            cur.executemany("INSERT INTO number_assignments (tenant_slug, block) VALUES (%s, %s)",
                            [(slug, block) for slug, blocks in numbers.items()
                             for block in blocks])
    finally:
        connection.close()


@pytest.fixture
def conn(throwaway_db):
    """A connection (autocommit) to the throwaway database."""
    connection = db.connect(throwaway_db)
    yield connection
    connection.close()


# ---- the real platform of the integration and media tests (one per session) ---------------

@pytest.fixture(scope="session")
def platform(platform_config, tmp_path_factory):
    """rtpengine, Kamailio, the call-record loader and the media app on ports of their own,
    a throwaway database, the tenants of tests/integration/tenants applied."""
    from tests.integration.conftest import TENANTS, Platform
    from tests.support import carrier, media as media_support
    from vpbx.stack.control import Stack
    folder = str(tmp_path_factory.mktemp("platform"))
    name = instance.create_database(platform_config)
    cfg = instance.write_instance_config(platform_config, folder, name)
    smtp = media_support.prepare(cfg)     # prompts, voice-to-mail to a test SMTP server
    stack = Stack(cfg, components=("rtpengine", "kamailio", "cdr", "media"))
    stack.start()
    plat = Platform(cfg, stack, folder)
    plat.smtp = smtp
    try:
        for path in (carrier.platform_file(folder),
                     *(os.path.join(TENANTS, file) for file in ("acme.yaml", "globex.yaml",
                                                               "initech.yaml"))):
            result = plat.vpbx("apply", path)
            assert result.returncode == 0, result.stdout + result.stderr
        yield plat
    finally:
        plat.stop()
        instance.drop_database(platform_config, name)
    plat.check_logs()


@pytest.fixture(scope="session")
def carrier_gateway() -> tuple[str, int]:
    """(address, port) of the carrier's gateway where this run's platforms send calls out
    (a port of its own per run: tests.support.carrier)."""
    from tests.support import carrier
    return carrier.ADDRESS, carrier.gateway_port()


@pytest.fixture
def phones(platform, tmp_path):
    """Factory of registered phones: phones("alice") → a Phone registered as alice;
    phones("x", password=…, domain=…) for users of other tenants (tests/media); other
    keywords go to Phone (e.g. tone_hz)."""
    from tests.integration.conftest import DOMAINS, PASSWORDS
    from tests.sip.phone import Phone
    made = []

    def make(username, *, register=True, password=None, domain=None, **options):
        phone = Phone(username, password or PASSWORDS[username], domain or DOMAINS[username],
                      platform.cfg.sip_port, name=f"{username}{len(made)}",
                      log_dir=str(tmp_path), **options)
        phone.start()
        made.append(phone)
        phone.registered = False
        if register:
            assert phone.register() == 200, f"{username} could not register"
            phone.registered = True
        return phone

    yield make
    for phone in made:
        if phone.registered:
            phone.unregister()   # leave no binding behind for the next test
        phone.close()
    platform.wait_no_media_sessions()


# ---- the platforms' logs: each test reads them from where it began -------------------------
@pytest.fixture(autouse=True)
def platform_logs_from_test_start(request):
    """Every platform up (the session's, a module's) notes where its logs end as a test
    begins: the test's log checks read from there, and the errors logged from there on are
    the test's (excused if it declares them: pytest.mark.expect_log_errors(pattern, …))."""
    from tests.integration.conftest import Platform
    expected = [pattern for marker in request.node.iter_markers("expect_log_errors")
                for pattern in marker.args]
    request.node.vpbx_log_starts = []
    for plat in list(Platform.running):
        plat.logs.begin_test(request.node.nodeid, expected)
        request.node.vpbx_log_starts.append((plat, plat.logs.test_start))
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used a platform reports what Kamailio, the media app and the
    call-record loader logged while it ran (a CI run leaves nothing else behind)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for plat, starts in getattr(item, "vpbx_log_starts", ()):
        for name in ("kamailio", "media", "cdr"):
            try:
                text = log_slice(plat.stack.log_file(name), starts.get(name, 0))
            except OSError:
                continue
            lines = text.splitlines()
            if lines:
                report.sections.append((f"{name}.log during the test (last 80 lines)",
                                        "\n".join(lines[-80:])))
