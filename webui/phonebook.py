"""The phones' remote phonebook (SPEC F9.2): /phonebook/<domain>.xml, the tenant's users and
external contacts in the XML that Yealink and compatible desk phones read, for a phone that
signs in with its SIP user name and password (HTTP Digest, realm = the tenant's domain,
checked against the HA1 digest in Kamailio's `subscriber`: no clear-text password needed),
behind the SIP edge's password guard (webui.sipdigest).

A domain that is not a DNS name (the rule of a tenant's domain, vpbx.provisioning.document) is a
plain 404 before anything else: it is echoed as the challenge's realm, a header."""
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort

from vpbx.provisioning import directory
from vpbx.provisioning import document

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
    try:
        domain = document.domain(domain)
    except document.Invalid:
        abort(404)
    conn = dbconn.get_db()
    with conn.cursor() as cur:
        cur.execute("SELECT id, slug, domain FROM tenants WHERE domain = %s", (domain,))
        tenant = cur.fetchone()
    signed_in = sipdigest.signed_in_user(conn, domain, tenant)
    if isinstance(signed_in, Response):         # (always, for a domain no tenant has)
        return signed_in
    with conn.cursor() as cur:
        cur.execute("SELECT name, extension FROM users WHERE tenant_id = %s", (tenant["id"],))
        entries = [(row["name"], row["extension"]) for row in cur.fetchall()]
    entries += [(c.name, c.number) for c in directory.contacts(conn, tenant["id"])]
    return Response(phonebook_xml(entries), mimetype="application/xml")
