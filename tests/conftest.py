"""Shared fixtures: the platform configuration and throwaway databases."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from vpbx import config, db  # noqa: E402
from tests.support import instance  # noqa: E402


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


@pytest.fixture
def conn(throwaway_db):
    """A connection (autocommit) to the throwaway database."""
    connection = db.connect(throwaway_db)
    yield connection
    connection.close()
