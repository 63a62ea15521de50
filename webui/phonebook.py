"""The phones' remote phonebook (SPEC F9.2): /phonebook/<domain>.xml, the tenant's users and
external contacts in the XML that Yealink and compatible desk phones read, for a phone that
signs in with its SIP user name and password (HTTP Digest, realm = the tenant's domain,
checked against the HA1 digest in Kamailio's `subscriber`: no clear-text password needed),
behind the SIP edge's password guard (webui.sipdigest)."""
from xml.sax.saxutils import escape

from flask import Blueprint, Response

from vpbx import directory

from . import dbconn, sipdigest

bp = Blueprint("phonebook", __name__, url_prefix="/phonebook")


def phonebook_xml(entries) -> str:
    """(name, number) pairs as a Yealink-compatible remote phonebook, sorted by name."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<YealinkIPPhoneDirectory>"]
    for name, number in sorted(entries, key=lambda entry: entry[0].lower()):
        lines.append(f"  <DirectoryEntry><Name>{escape(name)}</Name>"
                     f"<Telephone>{escape(number)}</Telephone></DirectoryEntry>")
    lines.append("</YealinkIPPhoneDirectory>")
    return "\n".join(lines) + "\n"


@bp.route("/<domain>.xml")
def phonebook(domain: str):
    domain = domain.lower()
    conn = dbconn.get_db()
    with conn.cursor() as cur:
        cur.execute("SELECT id, slug, domain FROM tenants WHERE domain = %s", (domain,))
        tenant = cur.fetchone()
    if tenant is None:
        return sipdigest.unknown_domain(domain)
    signed_in = sipdigest.signed_in_user(conn, tenant)
    if isinstance(signed_in, Response):
        return signed_in
    with conn.cursor() as cur:
        cur.execute("SELECT name, extension FROM users WHERE tenant_id = %s", (tenant["id"],))
        entries = [(row["name"], row["extension"]) for row in cur.fetchall()]
    entries += [(c.name, c.number) for c in directory.contacts(conn, tenant["id"])]
    return Response(phonebook_xml(entries), mimetype="application/xml")
