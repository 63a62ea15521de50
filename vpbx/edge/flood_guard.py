"""Request floods at the SIP edge: a source address that sends more requests than any phone
or office would is dropped for a while, without an answer (an answer would feed the flood).

The rule, exactly: a source that sends more than `flood_requests` requests within any
`SAMPLING_SECONDS` (2 s) is banned for `flood_ban_seconds` from the request past the limit.
Kamailio counts each source's requests per quarter of that window (STEP_SECONDS) in a
shared-memory htable whose items expire on their own; a request is judged by the sum of its
own quarter and the four before it, so any 2 s are always covered (a source is never
banned for fewer than `flood_requests` requests within 2.5 s). The ban lives in another
htable that expires on its own. The carrier's trunk is never counted, nor the
addresses and networks listed in `flood_exempt` (a customer's SIP trunk, a monitoring probe,
an SBC cluster as 203.0.113.0/28); a source
the routing cannot yet tell from the carrier (its address unread since a configuration
change, the database away) is not counted either: dropping the carrier would cut every
call. The NOC lists and lifts bans over RPC (`kamcmd htable.dump vpbx_floodban`,
`kamcmd htable.delete vpbx_floodban ADDRESS`).
"""
import functools
import ipaddress

BANS_TABLE = "vpbx_floodban"
COUNTS_TABLE = "vpbx_floodcount"
SAMPLING_SECONDS = 2
STEPS = 4                                   # a window counted in quarters
STEP_SECONDS = SAMPLING_SECONDS / STEPS
COUNT_SECONDS = SAMPLING_SECONDS + 1        # how long a quarter's count is kept


def count_keys(source: str, now: float) -> tuple[str, tuple[str, ...]]:
    """The counts table's keys for a request from `source` at `now` (epoch seconds): its own
    quarter's, and the STEPS quarters before it ("SOURCE#QUARTER")."""
    step = int(now / STEP_SECONDS)
    return f"{source}#{step}", tuple(f"{source}#{earlier}" for earlier in range(step - STEPS, step))


def is_flood(own_quarter: int, earlier_quarters, limit: int) -> bool:
    """Whether a request makes its source a flooder: more than `limit` requests counted in
    its own quarter (this one included) and the quarters before it."""
    return own_quarter + sum(earlier_quarters) > limit


def parse_exempt(text: str) -> frozenset:
    """The addresses and networks (CIDR) of `flood_exempt`, separated by commas or spaces,
    in their canonical form; ValueError names an entry that is neither."""
    found = set()
    for part in text.replace(",", " ").split():
        try:
            if "/" in part:
                found.add(str(ipaddress.ip_network(part, strict=False)))
            else:
                found.add(str(ipaddress.ip_address(part)))
        except ValueError:
            raise ValueError(f"flood_exempt: {part!r} is neither an IP address nor a network "
                             "(such as 203.0.113.0/28)") from None
    return frozenset(found)


def is_exempt(source: str, exempt: frozenset) -> bool:
    """Whether `source` is one of the addresses of `exempt` or lies in one of its networks."""
    return source in exempt or _in_networks(source, exempt)


@functools.lru_cache(maxsize=4096)
def _in_networks(source: str, exempt: frozenset) -> bool:
    # (each source address is checked once, not on each of its requests)
    networks = [ipaddress.ip_network(entry) for entry in exempt if "/" in entry]
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    return any(address in network for network in networks)


def is_counted(source: str, carrier_known: bool, carrier, exempt: frozenset) -> bool:
    """Whether requests from `source` count towards a flood ban: not the carrier's (as
    (address, port), or None when the platform has none), not an exempt address, and
    nothing while the carrier is not known."""
    if not carrier_known or (carrier is not None and source == carrier[0]):
        return False
    return not is_exempt(source, exempt)
