"""Fixtures of the web UI tests: a throwaway database with two tenants (acme, globex), each
with an administrator, an operator, the Flask app and test clients signed in as each.

The database is made once per test module (creating it and hashing passwords are the slow
parts); tests that change the configuration use names of their own so that they do not
depend on each other.
"""
import os
import re

import pytest

from tests.support import instance
from vpbx.storage import connection as db
from vpbx.provisioning import apply as provision
from webui import accounts
from webui.app import create_app
from tests.support.guardtables import MemoryTables
from tests.support.webclient import sign_in_as

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# the platform file first: it assigns the numbers the tenants use
TENANT_FILES = (os.path.join(ROOT, "tests", "fixtures", "platform.yaml"),
                os.path.join(ROOT, "tests", "fixtures", "acme.yaml"),
                os.path.join(HERE, "globex.yaml"))
PASSWORD = "correct horse battery"
LOGINS = {"acme": "admin@acme", "globex": "admin@globex", "operator": "operator"}


def provision_platform(cfg) -> dict:
    """Apply the platform file and the two tenant files and create one administrator each
    and an operator;
    login → account."""
    conn = db.connect(cfg)
    try:
        for path in TENANT_FILES:
            result = provision.apply_file(conn, path)
            assert not result.problems, result.problems
        made = {}
        for slug in ("acme", "globex"):
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM tenants WHERE slug = %s", (slug,))
                tenant_id = cur.fetchone()["id"]
            made[slug] = accounts.create_account(conn, LOGINS[slug], PASSWORD,
                                                 tenant_id=tenant_id, language="en")
        made["operator"] = accounts.create_account(conn, LOGINS["operator"], PASSWORD,
                                                   tenant_id=None, language="en")
        return made
    finally:
        conn.close()


@pytest.fixture(scope="module")
def platform(platform_config, tmp_path_factory):
    """(config, accounts by role) of a migrated throwaway database with acme and globex."""
    name = instance.create_database(platform_config)
    cfg = instance.write_instance_config(platform_config, str(tmp_path_factory.mktemp("webui")),
                                         name)
    previous = os.environ.get("VPBX_CONFIG")
    os.environ["VPBX_CONFIG"] = cfg.path
    try:
        yield cfg, provision_platform(cfg)
    finally:
        if previous is None:
            os.environ.pop("VPBX_CONFIG", None)
        else:
            os.environ["VPBX_CONFIG"] = previous
        instance.drop_database(platform_config, name)


@pytest.fixture
def guard_tables():
    """The password guard's tables of the app (no Kamailio here: a dict)."""
    return MemoryTables()


@pytest.fixture
def app(platform, guard_tables):
    cfg, _accounts = platform
    return create_app(cfg, {"TESTING": True, "ASK_KAMAILIO": False,
                            "PASSWORD_GUARD_TABLES": guard_tables})


@pytest.fixture
def conn(platform):
    connection = db.connect(platform[0])
    yield connection
    connection.close()


@pytest.fixture
def empty_directory(conn):
    """No directory contacts before and after the test."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM directory_contacts")
    yield
    with conn.cursor() as cur:
        cur.execute("DELETE FROM directory_contacts")


def config_versions(conn) -> dict:
    """slug → config_version of every tenant (what tells the routing a tenant changed)."""
    with conn.cursor() as cur:
        cur.execute("SELECT slug, config_version FROM tenants")
        return {row["slug"]: row["config_version"] for row in cur.fetchall()}


def english_client(app):
    """A test client whose browser prefers English (the default is French)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app):
    return english_client(app)


@pytest.fixture
def acme(app, platform):
    """A client signed in as acme's administrator."""
    client = english_client(app)
    sign_in_as(app, client, platform[1]["acme"])
    return client


@pytest.fixture
def globex(app, platform):
    client = english_client(app)
    sign_in_as(app, client, platform[1]["globex"])
    return client


@pytest.fixture
def operator(app, platform):
    client = english_client(app)
    sign_in_as(app, client, platform[1]["operator"])
    return client


def ids_in(html: str, prefix: str) -> list[int]:
    """The ids of the items a list page shows (its elements' id="PREFIX-N")."""
    return [int(n) for n in re.findall(rf'id="{prefix}-(\d+)"', html)]
