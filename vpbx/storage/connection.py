"""Database connections (pymysql). All SQL elsewhere is parameterised; nothing formats values in."""
import pymysql
import pymysql.cursors

from vpbx.settings.platform import Config


def connect(cfg: Config, *, database: str | None = "", autocommit: bool = True,
            connect_timeout: float = 3, read_timeout: float = 60):
    """Open a connection to the platform's database (or `database`, None for no database).

    Every wait is bounded: the routing passes short timeouts, so that a database that goes
    away fails a request quickly instead of hanging a SIP worker; other users get a minute.
    """
    return pymysql.connect(
        host=cfg.db_host, port=cfg.db_port, user=cfg.db_user, password=cfg.db_password,
        database=cfg.db_name if database == "" else database,
        charset="utf8mb4", autocommit=autocommit, connect_timeout=connect_timeout,
        read_timeout=read_timeout, write_timeout=read_timeout,
        cursorclass=pymysql.cursors.DictCursor)
