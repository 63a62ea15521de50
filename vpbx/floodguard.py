"""Request floods at the SIP edge: a source address that sends more requests than any phone
or office would is dropped for a while, without an answer (an answer would feed the flood).

Kamailio's pike module counts each source's requests in shared memory; the first request
past `flood_requests` in a sampling window (2 s) starts a ban of `flood_ban_seconds`, kept
in an htable that expires on its own. The carrier's trunk is never counted, nor the
addresses listed in `flood_exempt` (a customer's SIP trunk, a monitoring probe); a source
the routing cannot yet tell from the carrier (its address unread since a configuration
change, the database away) is not counted either: dropping the carrier would cut every
call. The NOC lists and lifts bans over RPC (`kamcmd htable.dump vpbx_floodban`,
`kamcmd htable.delete vpbx_floodban ADDRESS`).
"""
BANS_TABLE = "vpbx_floodban"
SAMPLING_SECONDS = 2


def parse_exempt(text: str) -> frozenset:
    """The addresses of `flood_exempt` (separated by commas or spaces)."""
    return frozenset(part for part in text.replace(",", " ").split() if part)


def is_counted(source: str, carrier_known: bool, carrier, exempt: frozenset) -> bool:
    """Whether requests from `source` count towards a flood ban: not the carrier's (as
    (address, port), or None when the platform has none), not an exempt address, and
    nothing while the carrier is not known."""
    if not carrier_known or source in exempt:
        return False
    return carrier is None or source != carrier[0]
