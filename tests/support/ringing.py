"""Observing which phones ring, and when, across several test phones."""
import time


def ringing_order(phones_by_ext, count, timeout, since=0.0):
    """The first `count` incoming calls across these phones (after monotonic time `since`):
    [(extension, event)] in the order they started ringing."""
    deadline = time.monotonic() + timeout
    events = []
    while time.monotonic() < deadline:
        events = sorted(((e["mono"], ext, e) for ext, phone in phones_by_ext.items()
                         for e in phone.events("incoming_call") if e["mono"] > since),
                        key=lambda item: item[0])
        if len(events) >= count:
            return [(ext, event) for _, ext, event in events[:count]]
        time.sleep(0.05)
    raise AssertionError(f"expected {count} phones to ring, saw {len(events)}")
