"""Where a phone may ask to be called: the Contact addresses of a REGISTER.

The edge sends a user's calls to the addresses their phones registered, from its own
address. A phone that registered the carrier's trunk (`sip:+41900123456@CARRIER`) would
have the edge send calls for that user to the carrier, which trusts the edge: a premium-rate
call that never went through the outgoing-call rules (toll fraud). One that registered the
media application's or the edge's own address would reach another tenant's mailbox, or loop.
So a Contact must name a host by its IP address (what phones register), and never the
carrier's address (any port: the carrier is recognised by its address alone), nor the edge's
or the media application's own SIP port.
"""
import ipaddress
import re

DEFAULT_PORT = 5060
_URI = re.compile(r"<\s*(sips?:[^>]*)>|(sips?:[^\s,;>]+)", re.I)
_HOSTPORT = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:;?]+))(?::(?P<port>\d+))?")


def contact_uris(header_values) -> list[str]:
    """The SIP URIs of Contact header values (several per value, comma-separated); "*"
    (remove every binding) has none."""
    return [match.group(1) or match.group(2)
            for value in header_values for match in _URI.finditer(value or "")]


def host_and_port(uri: str) -> tuple[str, int] | None:
    """(host, port) of a SIP URI (port 5060 when none), None when it has no host."""
    rest = uri.split(":", 1)[1] if ":" in uri else ""
    rest = rest.rsplit("@", 1)[-1]
    match = _HOSTPORT.match(rest)
    if match is None:
        return None
    host = (match.group("v6") or match.group("host") or "").lower()
    port = int(match.group("port")) if match.group("port") else DEFAULT_PORT
    return (host, port) if host else None


def refused_contact(uris, carrier_address: str | None, own_endpoints) -> str | None:
    """The first of `uris` a phone may not register, with why ("URI: reason"), or None.
    `own_endpoints`: the platform's own (address, port) pairs (the edge, the media app)."""
    own = {(address, port) for address, port in own_endpoints}
    for uri in uris:
        found = host_and_port(uri)
        if found is None:
            return f"{uri}: no host"
        host, port = found
        try:
            address = str(ipaddress.ip_address(host))
        except ValueError:
            return f"{uri}: a phone registers its IP address, not a name"
        if carrier_address is not None and address == carrier_address:
            return f"{uri}: the carrier's address"
        if (address, port) in own:
            return f"{uri}: the platform's own address"
    return None


# -- requests within a call -------------------------------------------------------------------
EARLY_DIALOG_METHODS = ("PRACK", "UPDATE")     # of a call not answered yet (no callee contact)


def goes_to_a_party(destination: str, method: str, party_values, answered: bool) -> bool:
    """Whether an in-dialog request whose next hop is `destination` (a SIP URI) goes to one
    of its call's parties: the host and port of a party's Contact or of the first hop of a
    party's route set (`party_values`: those URIs as the dialog keeps them). Before the
    answer the callee's contact is not known yet: only PRACK and UPDATE pass then."""
    if not answered:
        return method in EARLY_DIALOG_METHODS
    target = host_and_port(destination)
    parties = {host_and_port(uri) for uri in contact_uris(party_values)}
    return target is not None and target in parties
