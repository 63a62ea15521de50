"""Who is in a call: the routing's dialog profiles, shared by KEMI (which fills and reads
them) and the tools that ask the running Kamailio (vpbx.live.state, the activity monitor).

A user in a call is the value "tenant_id:extension" in a dialog profile. Kamailio's dialog
module keeps a profile's values in 16 hash buckets under one lock, and counting a value
walks its whole bucket: with one profile, every busy check of a group walked a sixteenth
of all the calls in progress, longer as the platform got busier. The users are therefore
spread over PROFILE_COUNT profiles (vpbx_busy0 …), by a stable hash of the value.
"""
import functools
import zlib

PROFILE_PREFIX = "vpbx_busy"
PROFILE_COUNT = 32


def party(tenant_id: int, extension: str) -> str:
    """A user as the busy profiles know them."""
    return f"{tenant_id}:{extension}"


@functools.lru_cache(maxsize=65536)
def profile_of(value: str) -> str:
    """The dialog profile that holds `value` ("tenant_id:extension")."""
    return f"{PROFILE_PREFIX}{zlib.crc32(value.encode()) % PROFILE_COUNT}"


def profile_names() -> list[str]:
    """Every busy profile, as kamailio.cfg must declare them (profiles_with_value)."""
    return [f"{PROFILE_PREFIX}{index}" for index in range(PROFILE_COUNT)]
