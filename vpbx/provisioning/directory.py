"""The company directory (SPEC F9): external contacts of a tenant, some with a short code
dialled as ##code; its users are the internal contacts. Every query names its tenant."""
import csv
import io
import re

from vpbx.model.names import CONTROL_RULE, has_control_character
from vpbx.model.numbers import external_form, is_e164
from vpbx.model.tenant import Contact
from vpbx.provisioning.changes import mark_changed, notify_routing, transaction
from vpbx.reasons import Reason

_SHORT = re.compile(r"[0-9]{1,6}")     # ASCII digits: what a phone dials
MAX_CONTACTS = 5000


def normalised_number(text: str) -> str | None:
    """A contact's number as E.164: given as +E.164, 00…, or a national 0… number."""
    text = "".join((text or "").split()).replace("-", "").replace(".", "")
    if is_e164(text):
        return text
    return external_form(text, access_code=False)


def check_contact(name: str, number: str,
                  short_code: str) -> tuple[Contact | None, list[tuple[str, Reason]]]:
    """The contact these fields describe, or (field, reason) for each problem."""
    problems = []
    name = (name or "").strip()
    if not 1 <= len(name) <= 128:
        problems.append(("name", Reason("contact_name")))
    elif has_control_character(name):
        problems.append(("name", CONTROL_RULE))
    e164 = normalised_number(number)
    if e164 is None:
        problems.append(("number", Reason("contact_number")))
    short_code = (short_code or "").strip() or None
    if short_code is not None and not _SHORT.fullmatch(short_code):
        problems.append(("short", Reason("short_code")))
    return (None if problems else Contact(None, name, e164, short_code)), problems


def contacts(conn, tenant_id: int) -> list[Contact]:
    with conn.cursor() as cur:
        cur.execute("SELECT id, name, number, short_code FROM directory_contacts"
                    " WHERE tenant_id = %s ORDER BY name, id", (tenant_id,))
        return [Contact(**row) for row in cur.fetchall()]


def _short_code_taken(cur, tenant_id: int, short_code: str | None) -> bool:
    if short_code is None:
        return False
    cur.execute("SELECT 1 FROM directory_contacts WHERE tenant_id = %s AND short_code = %s",
                (tenant_id, short_code))
    return cur.fetchone() is not None


def insert_contact(cur, tenant_id: int, contact: Contact) -> None:
    """Store a checked contact of the tenant (in the caller's transaction)."""
    cur.execute("INSERT INTO directory_contacts (tenant_id, name, number, short_code)"
                " VALUES (%s, %s, %s, %s)",
                (tenant_id, contact.name, contact.number, contact.short_code))


def add_contact(conn, tenant_id: int, contact: Contact) -> list[tuple[str, Reason]]:
    """Store a checked contact; problems (nothing stored) if its short code is taken."""
    with transaction(conn) as cur:
        if _short_code_taken(cur, tenant_id, contact.short_code):
            return [("short", Reason("short_code_taken", code=contact.short_code))]
        insert_contact(cur, tenant_id, contact)
        mark_changed(cur, tenant_id=tenant_id)
    notify_routing(conn)
    return []


def delete_contact(conn, tenant_id: int, contact_id: int) -> bool:
    """Remove one of the tenant's contacts; False if it has no such contact."""
    with transaction(conn) as cur:
        removed = cur.execute("DELETE FROM directory_contacts WHERE id = %s AND tenant_id = %s",
                              (contact_id, tenant_id)) == 1
        if removed:
            mark_changed(cur, tenant_id=tenant_id)
    if removed:
        notify_routing(conn)
    return removed


def import_csv(conn, tenant_id: int, text: str) -> tuple[int, list[Reason]]:
    """Add the contacts of a CSV file (columns name, number, short; a header line is
    optional). Every bad line is reported ("line 3: number: …") and then nothing at all is
    imported; otherwise all of them are, in one transaction."""
    rows = list(csv.reader(io.StringIO(text)))
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["name", "number"]:
        rows = [None] + rows[1:]          # keep line numbers as in the file
    problems, checked, seen = [], [], set()
    for line_number, row in enumerate(rows, start=1):
        if row is None or not any(cell.strip() for cell in row):
            continue
        if len(row) > 3:
            problems.append(Reason("csv_line", line=line_number, reason=Reason("csv_columns")))
            continue
        contact, found = check_contact(row[0], row[1] if len(row) > 1 else "",
                                       row[2] if len(row) > 2 else "")
        problems += [Reason("csv_line", line=line_number,
                            reason=Reason("field_reason", field=field, reason=reason))
                     for field, reason in found]
        if contact is None:
            continue
        if contact.short_code is not None and contact.short_code in seen:
            problems.append(Reason("csv_line", line=line_number, reason=Reason(
                "field_reason", field="short",
                reason=Reason("short_code_twice", code=contact.short_code))))
            continue
        if contact.short_code is not None:
            seen.add(contact.short_code)
        checked.append((line_number, contact))
    if not checked and not problems:
        problems.append(Reason("no_contact"))
    if len(checked) > MAX_CONTACTS:
        problems.append(Reason("too_many_contacts", count=MAX_CONTACTS))
    if problems:
        return 0, problems
    with transaction(conn) as cur:
        taken = [Reason("csv_line", line=n, reason=Reason(
                     "field_reason", field="short",
                     reason=Reason("short_code_taken", code=c.short_code)))
                 for n, c in checked if _short_code_taken(cur, tenant_id, c.short_code)]
        if taken:
            return 0, taken
        for _, contact in checked:
            insert_contact(cur, tenant_id, contact)
        mark_changed(cur, tenant_id=tenant_id)
    notify_routing(conn)
    return len(checked), []
