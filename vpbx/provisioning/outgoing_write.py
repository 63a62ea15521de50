"""Storing the `outgoing:` and `directory:` sections (checked by
vpbx.provisioning.outgoing_rules), with change lines.

Called by vpbx.provisioning.write.write_tenant once the users and numbers are written (a rule's users
are found by extension). Every statement names the tenant.
"""
from collections import Counter

from vpbx.provisioning.directory import insert_contact
from vpbx.provisioning.writer import Writer, sync


class _Presentation(Writer):
    """presentation_rules rows and their users, keyed by number (a changed rule is rewritten
    whole; the web UI's several rules for one number become one)."""
    section, noun = "presentation", "presentation rule"

    def insert(self, cur, tenant_id, rule):
        cur.execute("INSERT INTO presentation_rules (tenant_id, number) VALUES (%s, %s)",
                    (tenant_id, rule.number))
        rule_id = cur.lastrowid
        cur.executemany("INSERT INTO presentation_rule_users (rule_id, user_id)"
                        " SELECT %s, id FROM users WHERE tenant_id = %s AND extension = %s",
                        [(rule_id, tenant_id, extension) for extension in rule.users])
        return [f"{self.label(rule)}: created"]

    def update(self, cur, tenant_id, old, new):
        self._delete_rows(cur, tenant_id, old.number)
        self.insert(cur, tenant_id, new)
        return [f"{self.label(new)}: updated (users)"]

    def delete(self, cur, tenant_id, rule):
        self._delete_rows(cur, tenant_id, rule.number)
        return [f"{self.label(rule)}: removed"]

    @staticmethod
    def _delete_rows(cur, tenant_id: int, number: str) -> None:
        """Every rule of the tenant showing `number` (their users go with them)."""
        cur.execute("DELETE FROM presentation_rules WHERE tenant_id = %s AND number = %s",
                    (tenant_id, number))


def write_presentation(cur, tenant_id: int, tenant, current, removed_users: list) -> list[str]:
    """Make the tenant's presentation rules the file's; when the file leaves them, say what
    the users it removed took with them (the rows went by ON DELETE CASCADE)."""
    if tenant.presentation is not None:
        return sync(cur, tenant_id, _Presentation(), current.presentation or [],
                     tenant.presentation)[0]
    removed = {user.extension for user in removed_users}
    lines = []
    for rule in current.presentation or []:
        lost = [extension for extension in rule.users if extension in removed]
        if lost and len(lost) == len(rule.users):
            lines += _Presentation().delete(cur, tenant_id, rule)
            lines[-1] += " (no user left)"
        else:
            lines += [f"presentation rule {rule.number}: user {extension} removed"
                      for extension in lost]
    return lines


def _contact_label(contact) -> str:
    """How change lines name a contact: "contact Plumber (+41219876543, ##3435)"."""
    short = f", ##{contact.short_code}" if contact.short_code else ""
    return f"contact {contact.name} ({contact.number}{short})"


def write_directory(cur, tenant_id: int, tenant, current) -> list[str]:
    """Make the tenant's directory the file's. A contact is all it says (a changed one is
    removed and created) and may be listed twice, so the lists are compared as multisets;
    removals go first, so that short codes may move between contacts."""
    if tenant.directory is None:
        return []
    wanted, stored = Counter(tenant.directory), Counter(current.directory or [])
    to_remove, to_create = stored - wanted, wanted - stored
    lines = []
    for contact in current.directory or []:
        if to_remove[contact]:
            to_remove[contact] -= 1
            cur.execute("DELETE FROM directory_contacts WHERE tenant_id = %s"
                        " AND BINARY name = %s AND number = %s AND short_code <=> %s LIMIT 1",
                        (tenant_id, contact.name, contact.number, contact.short_code))
            lines.append(f"{_contact_label(contact)}: removed")
    for contact in tenant.directory:
        if to_create[contact]:
            to_create[contact] -= 1
            insert_contact(cur, tenant_id, contact)
            lines.append(f"{_contact_label(contact)}: created")
    return lines
