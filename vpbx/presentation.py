"""Caller ID presentation rules (SPEC F6.2): a number the tenant owns, shown by the external
calls of a set of its users. The routing reads them (SipStore.presentation_rules); the web
UI edits them here. Every query names its tenant."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: int
    number: str
    extensions: tuple[str, ...]


def owned_numbers(conn, tenant_id: int) -> list[str]:
    """The numbers a tenant may present: its global numbers and its users' direct numbers."""
    with conn.cursor() as cur:
        cur.execute("SELECT number FROM global_numbers WHERE tenant_id = %s UNION"
                    " SELECT direct_number FROM users WHERE tenant_id = %s"
                    " AND direct_number IS NOT NULL ORDER BY 1", (tenant_id, tenant_id))
        return [row["number"] for row in cur.fetchall()]


def rules(conn, tenant_id: int) -> list[Rule]:
    with conn.cursor() as cur:
        cur.execute("SELECT r.id, r.number, u.extension FROM presentation_rules r"
                    " LEFT JOIN presentation_rule_users ru ON ru.rule_id = r.id"
                    " LEFT JOIN users u ON u.id = ru.user_id"
                    " WHERE r.tenant_id = %s ORDER BY r.id, u.extension", (tenant_id,))
        found = {}
        for row in cur.fetchall():
            number, extensions = found.setdefault(row["id"], (row["number"], []))
            if row["extension"]:
                extensions.append(row["extension"])
    return [Rule(rule_id, number, tuple(exts)) for rule_id, (number, exts) in found.items()]


def add_rule(conn, tenant_id: int, number: str, extensions: list[str]) -> list[str]:
    """Store a rule; the reasons it is refused otherwise (nothing stored)."""
    from . import provision
    problems = []
    if number not in owned_numbers(conn, tenant_id):
        problems.append("number: choose one of your company's numbers")
    if not extensions:
        problems.append("users: choose at least one user")
    if problems:
        return problems
    with provision.transaction(conn) as cur:
        cur.execute("SELECT id, extension FROM users WHERE tenant_id = %s AND extension IN ("
                    + ", ".join(["%s"] * len(extensions)) + ")", (tenant_id, *extensions))
        users = {row["extension"]: row["id"] for row in cur.fetchall()}
        unknown = sorted(set(extensions) - set(users))
        if unknown:
            return [f"users: no user {', '.join(unknown)}"]
        cur.execute("SELECT ru.user_id FROM presentation_rule_users ru"
                    " JOIN presentation_rules r ON r.id = ru.rule_id WHERE r.tenant_id = %s",
                    (tenant_id,))
        taken = {row["user_id"] for row in cur.fetchall()} & set(users.values())
        if taken:
            names = sorted(ext for ext, uid in users.items() if uid in taken)
            return [f"users: {', '.join(names)} already have a rule"]
        cur.execute("INSERT INTO presentation_rules (tenant_id, number) VALUES (%s, %s)",
                    (tenant_id, number))
        rule_id = cur.lastrowid
        cur.executemany("INSERT INTO presentation_rule_users (rule_id, user_id) VALUES (%s, %s)",
                        [(rule_id, user_id) for user_id in users.values()])
        provision.mark_changed(cur)
    provision.notify_routing(conn)
    return []


def delete_rule(conn, tenant_id: int, rule_id: int) -> bool:
    from . import provision
    with provision.transaction(conn) as cur:
        removed = cur.execute("DELETE FROM presentation_rules WHERE id = %s AND tenant_id = %s",
                              (rule_id, tenant_id)) == 1
        if removed:
            provision.mark_changed(cur)
    if removed:
        provision.notify_routing(conn)
    return removed
