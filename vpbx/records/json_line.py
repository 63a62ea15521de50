"""Compact JSON (no spaces) for what the SIP routing writes on every call: the call-record
events and the flow state kept in the transaction.

`json.dumps` builds a new encoder on every call; the routing encodes a few small objects per
call, so this module builds the C encoder once and reuses it (same output as
`json.dumps(value, separators=(",", ":"))`).
"""
import json
from json import encoder as _encoder


def _unserialisable(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_MAKE = getattr(_encoder, "c_make_encoder", None)
if _MAKE is not None:
    # (markers None: no check for circular references; the values are plain data)
    _ITERENCODE = _MAKE(None, _unserialisable, _encoder.encode_basestring_ascii, None,
                        ":", ",", False, False, True)

    def dumps(value) -> str:
        """`value` as one line of compact JSON."""
        return "".join(_ITERENCODE(value, 0))
else:                                   # (a Python without the C accelerator)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
