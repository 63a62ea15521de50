"""Caller ID presentation rules (SPEC F6.2): a number the tenant owns, shown by the external
calls of a set of its users. The routing reads them (SipStore.presentation_rules); the web
UI edits them here, and `vpbx apply` checks a file's rules with the same `rule_problems`
(vpbx.provisioning.outgoing_rules). Every query names its tenant."""
from dataclasses import dataclass

from vpbx.provisioning.changes import mark_changed, notify_routing, transaction
from vpbx.reasons import Reason


@dataclass(frozen=True)
class Rule:
    id: int
    number: str
    extensions: tuple[str, ...]


def _owned(cur, tenant_id: int) -> list[str]:
    """The numbers a tenant may present: its global numbers and its users' direct numbers."""
    cur.execute("SELECT number FROM global_numbers WHERE tenant_id = %s UNION"
                " SELECT direct_number FROM users WHERE tenant_id = %s"
                " AND direct_number IS NOT NULL ORDER BY 1", (tenant_id, tenant_id))
    return [row["number"] for row in cur.fetchall()]


def owned_numbers(conn, tenant_id: int) -> list[str]:
    """The numbers a tenant may present: its global numbers and its users' direct numbers."""
    with conn.cursor() as cur:
        return _owned(cur, tenant_id)


def rules(conn, tenant_id: int) -> list[Rule]:
    """The tenant's rules with their users' extensions, in creation order."""
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


def rule_problems(number: str, extensions, owned: set[str], known_extensions: set[str],
                  rule_of_extension: dict[str, str]) -> list[tuple[str, Reason]]:
    """Why a rule showing `number` for the users `extensions` cannot be stored, as (field,
    reason) pairs (none: it can). The number must be one the tenant owns (`owned`: its
    global numbers and its users' direct numbers), the users must exist (`known_extensions`)
    and be at least one, and a user has one rule at most (`rule_of_extension`: extension ->
    number of the rule it already has). The Outgoing calls tab and `vpbx apply` both use it."""
    problems = []
    if number not in owned:
        problems.append(("number", Reason("not_company_number", number=number)))
    if not extensions:
        problems.append(("users", Reason("choose_a_user")))
    unknown = sorted(set(extensions) - set(known_extensions))
    if unknown:
        problems.append(("users", Reason("no_such_users", extensions=", ".join(unknown))))
    taken = sorted(set(extensions) & set(rule_of_extension))
    if taken:
        shown = ", ".join(sorted({rule_of_extension[extension] for extension in taken}))
        problems.append(("users", Reason("user_has_rule" if len(taken) == 1
                                         else "users_have_rule",
                                         extensions=", ".join(taken), numbers=shown)))
    return problems


def add_rule(conn, tenant_id: int, number: str, extensions: list[str]) -> list[Reason]:
    """Store a rule; the reasons it is refused otherwise (nothing stored)."""
    with transaction(conn) as cur:
        cur.execute("SELECT id, extension FROM users WHERE tenant_id = %s", (tenant_id,))
        user_ids = {row["extension"]: row["id"] for row in cur.fetchall()}
        cur.execute("SELECT u.extension, r.number FROM presentation_rule_users ru"
                    " JOIN presentation_rules r ON r.id = ru.rule_id"
                    " JOIN users u ON u.id = ru.user_id"
                    " WHERE r.tenant_id = %s AND u.tenant_id = %s", (tenant_id, tenant_id))
        rule_of_extension = {row["extension"]: row["number"] for row in cur.fetchall()}
        problems = rule_problems(number, extensions, set(_owned(cur, tenant_id)),
                                 set(user_ids), rule_of_extension)
        if problems:
            return [Reason("field_reason", field=field, reason=reason)
                    for field, reason in problems]
        cur.execute("INSERT INTO presentation_rules (tenant_id, number) VALUES (%s, %s)",
                    (tenant_id, number))
        rule_id = cur.lastrowid
        cur.executemany("INSERT INTO presentation_rule_users (rule_id, user_id) VALUES (%s, %s)",
                        [(rule_id, user_ids[extension]) for extension in extensions])
        mark_changed(cur, tenant_id=tenant_id)
    notify_routing(conn)
    return []


def delete_rule(conn, tenant_id: int, rule_id: int) -> bool:
    """Remove one of the tenant's rules; False if it has no such rule."""
    with transaction(conn) as cur:
        removed = cur.execute("DELETE FROM presentation_rules WHERE id = %s AND tenant_id = %s",
                              (rule_id, tenant_id)) == 1
        if removed:
            mark_changed(cur, tenant_id=tenant_id)
    if removed:
        notify_routing(conn)
    return removed
