"""Shared fixtures: the platform configuration and throwaway databases."""
import os

import pytest

from vpbx.settings import platform as config
from vpbx.storage import connection as db
from tests.support import instance
from vpbx.stack.control import log_size, log_slice

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
    from tests.support import media as media_support
    from vpbx.stack.control import Stack
    folder = str(tmp_path_factory.mktemp("platform"))
    name = instance.create_database(platform_config)
    cfg = instance.write_instance_config(platform_config, folder, name)
    smtp_port = media_support.prepare(cfg)     # prompts, voice-to-mail to a test SMTP port
    stack = Stack(cfg, components=("rtpengine", "kamailio", "cdr", "media"))
    stack.start()
    plat = Platform(cfg, stack, folder)
    plat.smtp_port = smtp_port
    try:
        for file in ("platform.yaml", "acme.yaml", "globex.yaml", "initech.yaml"):
            result = plat.vpbx("apply", os.path.join(TENANTS, file))
            assert result.returncode == 0, result.stdout + result.stderr
        yield plat
    finally:
        stack.stop()
        instance.drop_database(platform_config, name)


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


# ---- what the platform logged during a failed test, printed with the failure ---------------
LOGGED_COMPONENTS = ("kamailio", "media", "cdr")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Note where the platform's logs end as a test starts (for the report of a failure)."""
    plat = getattr(item, "funcargs", {}).get("platform")
    if hasattr(plat, "stack"):          # (the web UI tests' `platform` is another fixture)
        item.vpbx_log_offsets = {name: log_size(plat.stack.log_file(name))
                                 for name in LOGGED_COMPONENTS}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the platform reports what Kamailio, the media app and the
    call-record loader logged while it ran (a CI run leaves nothing else behind)."""
    outcome = yield
    report = outcome.get_result()
    offsets = getattr(item, "vpbx_log_offsets", None)
    if report.when != "call" or not report.failed or not offsets:
        return
    plat = item.funcargs["platform"]
    for name, offset in offsets.items():
        try:
            text = log_slice(plat.stack.log_file(name), offset)
        except OSError:
            continue
        lines = text.splitlines()
        if lines:
            report.sections.append((f"{name}.log during the test (last 80 lines)",
                                    "\n".join(lines[-80:])))
