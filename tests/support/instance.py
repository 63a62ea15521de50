"""Throwaway platform instances for tests and benchmarks: own database, own ports, own folders.

The platform configuration that `make test` sets up (/etc/vpbx/vpbx.conf, or $VPBX_CONFIG)
gives the database credentials; its user may create databases named <db>_test_*.
"""
import os
import socket
import uuid

from vpbx.settings import platform as config
from vpbx.storage import connection as db
from vpbx.storage import migrations as migrate


def free_port(kind=socket.SOCK_DGRAM, host="127.0.0.1") -> int:
    """A port number nobody uses right now, for both UDP and TCP."""
    while True:
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        try:
            with socket.socket(socket.AF_INET, other) as check:
                check.bind((host, port))
            return port
        except OSError:
            continue


# a password guesser's or a flooder's ban lasts seconds, not minutes, on test platforms: long
# enough to be seen, short enough for a test to see it end
AUTH_BAN_SECONDS = 3
FLOOD_BAN_SECONDS = 3
# the test phones, sipp and the benchmarks all send from here, far faster than any office
FLOOD_EXEMPT = "127.0.0.1"


def create_database(base: config.Config) -> str:
    """A new empty database with the schema migrated; returns its name."""
    name = f"{base.db_name}_test_{uuid.uuid4().hex[:10]}"
    conn = db.connect(base, database=None)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn.close()
    conn = db.connect(base, database=name)
    migrate.migrate(conn)
    conn.close()
    return name


def drop_database(base: config.Config, name: str) -> None:
    assert "_test_" in name, name
    conn = db.connect(base, database=None)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def write_instance_config(base: config.Config, folder: str, db_name: str,
                          sip_children: int = 2, db_port: int | None = None) -> config.Config:
    """A configuration file in `folder` for an instance on free ports, using `db_name`
    (through `db_port` instead of the platform's, e.g. a forwarder a test can cut)."""
    # an RTP range of its own per test process, below the ephemeral ports (32768-60999) that
    # free_port() hands out for SIP: rtpengine must never bind the edge's SIP port
    rtp_low = 10000 + (os.getpid() % 100) * 100
    return config.write(
        os.path.join(folder, "vpbx.conf"), db_name=db_name, db_user=base.db_user,
        db_password=base.db_password, db_host=base.db_host, db_port=db_port or base.db_port,
        run_dir=os.path.join(folder, "run"), log_dir=os.path.join(folder, "log"),
        data_dir=os.path.join(folder, "data"), sip_port=free_port(),
        sip_children=sip_children, rtp_ng_port=free_port(), rtp_port_min=rtp_low,
        rtp_port_max=rtp_low + 99, media_port=free_port(),
        webui_port=free_port(socket.SOCK_STREAM), sip_auth_ban_seconds=AUTH_BAN_SECONDS,
        sip_flood_ban_seconds=FLOOD_BAN_SECONDS, sip_flood_exempt=FLOOD_EXEMPT)
