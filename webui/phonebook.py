"""The phones' remote phonebook (SPEC F9.2): /phonebook/<domain>.xml, the tenant's users and
external contacts in the XML that Yealink and compatible desk phones read, for a phone that
signs in with its SIP user name and password (HTTP Digest, realm = the tenant's domain,
checked against the HA1 digest in Kamailio's `subscriber`: no clear-text password needed)."""
import hashlib
import hmac
import os
import time
from xml.sax.saxutils import escape

from flask import Blueprint, Response, request

from vpbx import directory

from . import dbconn

bp = Blueprint("phonebook", __name__, url_prefix="/phonebook")
_SECRET = os.urandom(32)            # nonces of this process only
NONCE_SECONDS = 300


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _nonce(now: float | None = None) -> str:
    stamp = str(int(now or time.time()))
    return stamp + "-" + hmac.new(_SECRET, stamp.encode(), "sha256").hexdigest()[:32]


def _fresh(nonce: str) -> bool:
    stamp, _, _sig = (nonce or "").partition("-")
    return stamp.isdigit() and hmac.compare_digest(nonce, _nonce(float(stamp))) \
        and time.time() - int(stamp) < NONCE_SECONDS


def _challenge(domain: str) -> Response:
    return Response("Sign in with your phone's SIP user name and password.\n", 401, {
        "WWW-Authenticate": f'Digest realm="{domain}", qop="auth", algorithm=MD5, '
                            f'nonce="{_nonce()}"'}, mimetype="text/plain")


def _signed_in(conn, domain: str) -> bool:
    """True when the request carries a valid Digest for a SIP account of this domain."""
    auth = request.authorization
    if auth is None or auth.type != "digest":
        return False
    params = auth.parameters
    if params.get("realm") != domain or not _fresh(params.get("nonce", "")) \
            or params.get("uri") != request.full_path.rstrip("?"):
        return False
    with conn.cursor() as cur:
        cur.execute("SELECT ha1 FROM subscriber WHERE username = %s AND domain = %s",
                    (params.get("username", ""), domain))
        row = cur.fetchone()
    if row is None:
        return False
    ha2 = _md5(f"{request.method}:{params['uri']}")
    if params.get("qop") == "auth":
        expected = _md5(f"{row['ha1']}:{params['nonce']}:{params.get('nc', '')}:"
                        f"{params.get('cnonce', '')}:auth:{ha2}")
    else:
        expected = _md5(f"{row['ha1']}:{params['nonce']}:{ha2}")
    return hmac.compare_digest(expected, params.get("response", ""))


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
    if not _signed_in(conn, domain):
        return _challenge(domain)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM tenants WHERE domain = %s", (domain,))
        tenant_id = cur.fetchone()["id"]
        cur.execute("SELECT name, extension FROM users WHERE tenant_id = %s", (tenant_id,))
        entries = [(row["name"], row["extension"]) for row in cur.fetchall()]
    entries += [(c.name, c.number) for c in directory.contacts(conn, tenant_id)]
    return Response(phonebook_xml(entries), mimetype="application/xml")
