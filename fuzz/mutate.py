"""Grammar-aware mutations of real SIP requests (fuzz/corpus/), reproducible from a seed.

    python -m fuzz.mutate --seed 7 --index 1234 [--edge 127.0.0.1:5060] [--tcp]

prints message 1234 of seed 7 (as Python bytes) and the mutations that made it.

A message is made from its seed and index alone (random.Random(f"{seed}:{index}")): a
template of the corpus, filled with the send-time values (fill), parsed into a request
line, headers and a body (Message), given one to three structured mutations (header
deletion and duplication, huge values, non-UTF-8 bytes, control characters, NUL, bad
numbers, broken URIs, odd methods, SDP changes, ...) and sometimes one raw mutation of the
bytes (byte flips, truncation, missing CRLF, ...). Content-Length is recomputed unless a
mutation set it. The same seed, index and values (the report shows them) give the same
bytes; the report also keeps the exact bytes of every finding.
"""
import argparse
import os
import random
import re
import sys
from dataclasses import dataclass, field

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
# how often each template is picked (the captures of fuzz/capture.py, OPTIONS and MESSAGE
# by hand): new calls and registrations are the edge's unauthenticated surface
TEMPLATE_WEIGHTS = {"invite": 16, "invite-auth": 12, "register": 12, "register-auth": 12,
                    "unregister": 3, "unregister-auth": 3, "ack-negative": 5, "ack-dialog": 6,
                    "bye": 8, "cancel": 7, "options": 8, "message": 8}
# a tenth of the messages come from the carrier's trunk (trusted by its address: no digest),
# an INVITE with SDP to the direct number of the sink's user, so that they reach the call
# routing (kemi/new_calls.py), the dialog module and rtpengine's offer
CARRIER_TEMPLATE = "invite-carrier"
UDP_LIMIT = 65000              # a datagram's bytes at most (IPv4's limit is 65507)
CALL_ID = "fuzz-{seed}-{index}"
# Bytes outside printable ASCII that a mutation put into or after the index are skipped:
# "fuzz-1-37\x0083" is message 3783, and so is "fuzz-1-3783\xf8". Anything else after the
# digits names no message: a Call-ID cut at a NUL runs into the log line's next words
# ("{INVITE fuzz-1-1app_python3 ..." is not message 13) — better unknown than wrong.
_CALL_ID_IN_TEXT = re.compile(rb"fuzz-(\d+)-(\d+)(?:[\x00-\x1f\x7f-\xff]{1,16}(\d+))?"
                              rb"(?=[}\s@;,>|\x00-\x1f\x7f-\xff]|$)")


def load_corpus(folder: str = CORPUS) -> dict:
    templates = {}
    for name in [*TEMPLATE_WEIGHTS, CARRIER_TEMPLATE]:
        with open(os.path.join(folder, f"{name}.sip")) as handle:
            templates[name] = handle.read()
    return templates


@dataclass
class Context:
    """The send-time values of a message: where it goes and comes from."""
    edge: str              # the edge's host:port
    src: str               # the sender's host:port (its Via, Contact)
    peer: str              # where in-dialog requests go: the fuzzer's sink (host:port)
    transport: str = "udp"

    @property
    def host(self) -> str:
        return self.src.rsplit(":", 1)[0]


def fill(template: str, ctx: Context, seed: int, index: int) -> str:
    """The template with its placeholders (see fuzz/capture.py) replaced."""
    values = {"edge": ctx.edge, "src": ctx.src, "peer": ctx.peer, "host": ctx.host,
              "callid": CALL_ID.format(seed=seed, index=index),
              "branch": f"fz{seed}x{index}", "ftag": f"ft{index}", "ttag": f"tt{index}"}
    text = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
    if ctx.transport == "tcp":
        text = text.replace("SIP/2.0/UDP", "SIP/2.0/TCP").replace(";lr>", ";lr;transport=tcp>")
    return text


def message_index(data: bytes, seed: int) -> int | None:
    """The index of the fuzz message whose Call-ID appears in `data` (a reply, a log line)."""
    for found_seed, index, rest in _CALL_ID_IN_TEXT.findall(data):
        if int(found_seed) == seed:
            return int(index + rest)
    return None


@dataclass
class Message:
    """A request as a request line, header fields in order, and a body (all bytes)."""
    start: bytes
    headers: list = field(default_factory=list)        # [name, value] pairs
    body: bytes = b""
    content_length_set: bool = False                    # a mutation chose its value
    eol: bytes = b"\r\n"

    @classmethod
    def parse(cls, text: str) -> "Message":
        head, _, body = text.partition("\n\n")
        lines = head.split("\n")
        headers = [[n.strip().encode(), v.strip().encode()]
                   for n, _, v in (line.partition(":") for line in lines[1:])]
        body = body.replace("\n", "\r\n")
        if body and not body.endswith("\r\n") and body.startswith("v=0"):
            body += "\r\n"
        return cls(lines[0].encode(), headers, body.encode())

    @property
    def method(self) -> bytes:
        return self.start.split(b" ", 1)[0]

    def find(self, name: bytes) -> list:
        """Indexes of the headers named `name` (case-insensitive)."""
        return [i for i, (n, _) in enumerate(self.headers) if n.lower() == name.lower()]

    def build(self) -> bytes:
        headers = [list(h) for h in self.headers]
        if not self.content_length_set:
            for pair in headers:
                if pair[0].lower() in (b"content-length", b"l"):
                    pair[1] = str(len(self.body)).encode()
        lines = [self.start] + [n + b": " + v for n, v in headers]
        return self.eol.join(lines) + self.eol + self.eol + self.body


# -- values mutations draw from ---------------------------------------------------------------
BAD_NUMBERS = [b"-1", b"0", b"00000000000000000000001", b"4294967295", b"4294967296",
               b"18446744073709551616", b"99999999999999999999999999", b"2147483648",
               b"65536", b"abc", b"", b" ", b"1e3", b"0x10", b"+5", b"12 34", b"1.5",
               "\u0663".encode(), b"\xff\xfe", b"\x00", b"-0", b"1" * 300, b"-2147483649"]
NON_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\x28",
            b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"caf\xe9", b"\xf8\x88\x80\x80\x80",
            b"\xe9t\xe9", b"Z\xfcrich"]
UTF8_ODD = ["é".encode(), "日本".encode(), "\u202e".encode(), "\ufeff".encode(),
            "🙂".encode(), "\u0000".encode()]
CONTROL = [bytes([c]) for c in list(range(1, 9)) + [11, 12] + list(range(14, 32)) + [127]]
ODD_METHODS = [b"FOO", b"INVITEX", b"invite", b"register", b"I NVITE", b"PRACK", b"SUBSCRIBE",
               b"NOTIFY", b"REFER", b"INFO", b"UPDATE", b"PUBLISH", b"ACK ", b"GET",
               b"\xffINVITE", b"INV\x00ITE", b"X" * 1000, b"-", b"REGISTER\tX", b"BYE;x"]
ODD_VERSIONS = [b"SIP/2.1", b"SIP/3.0", b"HTTP/1.1", b"sip/2.0", b"SIP/2.0 extra", b"SIP/",
                b"SIP/2.0\x00", b"SIP/20", b"", b"SIP/2.0/UDP"]
# hosts a broken URI may name: the edge, the sink, unresolvable names, and broken syntax;
# never another port on this machine (other platforms may run here)
def _uris(ctx: Context) -> list:
    edge, peer = ctx.edge.encode(), ctx.peer.encode()
    return [b"sip:", b"sip:@", b"sip:7002@", b"sip:[::1", b"sip:7002@" + edge + b":5060",
            b"sip:7002@127.0.0.1:99999", b"sip:7002@127.0.0.1:-1", b"sip:%zz@" + edge,
            b"sips:7002@fuzz.pbx.test", b"tel:+41215590002", b"tel:", b"<sip:7002@fuzz.pbx.test",
            b"sip:7002@fuzz.pbx.test>", b"sip:7002@fuzz.pbx.test;;;;;", b"sip:7002@" + peer +
            b";transport=", b"sip:7002@fuzz.pbx.test?Subject=x&Call-ID=y", b"http://x/",
            b"sip:" + b"7" * 2000 + b"@fuzz.pbx.test", b"sip:70%0002@fuzz.pbx.test",
            b"sip:7002@256.256.256.256", b"sip:7002@[fe80::1%25eth0]", b"*",
            b"sip:7002@fuzz.pbx.test:5060:5060", b"sip:7002@nothing.invalid",
            b"sip:7002@" + peer + b";transport=sctp", b"sip:7002@" + peer + b";maddr=nothing.invalid",
            b"sip:7002@" + peer + b";lr;lr;lr", b"sip:%41lice@fuzz.pbx.test",
            b"sip:alice:secret@fuzz.pbx.test", b"sip:7002@FUZZ.PBX.TEST",
            b"sip:7002@fuzz.pbx.test.", b"sip:+41215590002@fuzz.pbx.test;user=phone",
            b"sip:\xff\xfe@fuzz.pbx.test", b"sip:7002@\xc3\x28.pbx.test", b"sip:7002@" + peer,
            b"sip:" + edge, b"sip:#%23*@fuzz.pbx.test", b"sip:0860215590001@fuzz.pbx.test",
            b"sip:401@fuzz.pbx.test", b"sip:00041215590002@fuzz.pbx.test"]


# -- structured mutations: each changes the message and returns its description -------------
def _pick_header(rng, msg, names=None):
    choices = [i for i, (n, _) in enumerate(msg.headers)
               if names is None or n.lower() in names]
    return rng.choice(choices) if choices else None


IMPORTANT = [b"via", b"from", b"to", b"call-id", b"cseq", b"max-forwards", b"content-length",
             b"contact", b"route", b"authorization", b"proxy-authorization", b"content-type",
             b"expires"]


def m_delete_header(rng, msg, ctx):
    names = set(IMPORTANT) if rng.random() < 0.8 else None
    i = _pick_header(rng, msg, names)
    if i is None:
        return None
    name = msg.headers.pop(i)[0]
    return f"delete header {name.decode('latin-1')}"


def m_duplicate_header(rng, msg, ctx):
    i = _pick_header(rng, msg, set(IMPORTANT) if rng.random() < 0.8 else None)
    if i is None:
        return None
    name, value = msg.headers[i]
    copies = rng.choice([1, 1, 2, 10, 200])
    if rng.random() < 0.5:
        value = _other_value(rng, name, value)
    if name.lower() in (b"content-length", b"l"):
        msg.content_length_set = True
    for _ in range(copies):
        msg.headers.insert(i + 1, [name, value])
    return f"duplicate header {name.decode('latin-1')} x{copies} as {value[:40]!r}"


def _other_value(rng, name, value):
    low = name.lower()
    if low in (b"content-length", b"cseq", b"max-forwards", b"expires", b"l"):
        return rng.choice(BAD_NUMBERS[:12])
    if low == b"call-id":
        return value + b"-other"
    return value + b";x=" + str(rng.randrange(1000)).encode()


def m_huge_value(rng, msg, ctx):
    i = _pick_header(rng, msg)
    if i is None:
        return None
    size = rng.choice([256, 1024, 4096, 16384, 30000, 60000])
    filler = rng.choice([b"a", b"%", b";", b",", b"\"", b"<", b"9", b" ", b"\\"])
    name = msg.headers[i][0]
    where = rng.choice(["append", "replace", "param"])
    value = msg.headers[i][1]
    if where == "append":
        value = value + filler * size
    elif where == "replace":
        value = filler * size
    else:
        value = value + b";" + b"p" * 8 + b"=" + filler * size
    msg.headers[i][1] = value
    return f"huge value ({size} x {filler!r}, {where}) in {name.decode('latin-1')}"


def m_insert_bytes(rng, msg, ctx, pool, what):
    target = rng.random()
    piece = rng.choice(pool)
    if target < 0.7 and msg.headers:
        i = _pick_header(rng, msg)
        name, value = msg.headers[i]
        if rng.random() < 0.15:
            pos = rng.randrange(len(name) + 1)
            msg.headers[i][0] = name[:pos] + piece + name[pos:]
            return f"{what} {piece!r} in header name {name.decode('latin-1')}"
        pos = rng.randrange(len(value) + 1)
        msg.headers[i][1] = value[:pos] + piece + value[pos:]
        return f"{what} {piece!r} in {name.decode('latin-1')} at {pos}"
    if target < 0.85 or not msg.body:
        pos = rng.randrange(len(msg.start) + 1)
        msg.start = msg.start[:pos] + piece + msg.start[pos:]
        return f"{what} {piece!r} in the request line at {pos}"
    pos = rng.randrange(len(msg.body) + 1)
    msg.body = msg.body[:pos] + piece + msg.body[pos:]
    return f"{what} {piece!r} in the body at {pos}"


def m_non_utf8(rng, msg, ctx):
    # the user and domain parts that the routing reads ($fU, $fd, $tU, $td, $rU, $au):
    # half of the time right there
    if rng.random() < 0.5:
        targets = [i for i, (n, _) in enumerate(msg.headers)
                   if n.lower() in (b"from", b"to", b"authorization", b"proxy-authorization",
                                    b"contact", b"call-id", b"user-agent")]
        piece = rng.choice(NON_UTF8 + UTF8_ODD)
        if targets:
            i = rng.choice(targets)
            name, value = msg.headers[i]
            spots = [m.end() for m in re.finditer(rb'sips?:|username="|realm="|@', value)]
            pos = rng.choice(spots) if spots else len(value)
            msg.headers[i][1] = value[:pos] + piece + value[pos:]
            return f"non-UTF-8 {piece!r} in {name.decode('latin-1')} at {pos}"
        if rng.random() < 0.5:
            user = re.search(rb"sips?:", msg.start)
            if user:
                pos = user.end()
                msg.start = msg.start[:pos] + piece + msg.start[pos:]
                return f"non-UTF-8 {piece!r} in the Request-URI's user"
    return m_insert_bytes(rng, msg, ctx, NON_UTF8 + UTF8_ODD, "non-UTF-8")


def m_control(rng, msg, ctx):
    return m_insert_bytes(rng, msg, ctx, CONTROL, "control character")


def m_nul(rng, msg, ctx):
    return m_insert_bytes(rng, msg, ctx, [b"\x00", b"\x00" * 8, b"a\x00b"], "NUL")


def m_bad_number(rng, msg, ctx):
    i = _pick_header(rng, msg, {b"content-length", b"cseq", b"max-forwards", b"expires"})
    if i is None:
        return None
    name, value = msg.headers[i]
    bad = rng.choice(BAD_NUMBERS)
    if name.lower() == b"cseq":
        parts = value.split(b" ", 1)
        kind = rng.random()
        if kind < 0.6:
            value = bad + b" " + (parts[1] if len(parts) > 1 else msg.method)
        elif kind < 0.8:
            value = parts[0] + b" " + rng.choice(ODD_METHODS[:8] + [b""])
        else:
            value = bad
    else:
        value = bad
        if name.lower() == b"content-length":
            msg.content_length_set = True
    msg.headers[i][1] = value
    return f"{name.decode('latin-1')}: {value[:40]!r}"


def m_content_length(rng, msg, ctx):
    """Content-Length off by a little or a lot against the body actually sent."""
    i = _pick_header(rng, msg, {b"content-length"})
    delta = rng.choice([-100000, -len(msg.body), -1, 1, 10, 1000, 70000])
    value = str(max(0, len(msg.body) + delta) if delta > -100000 else -5).encode()
    if i is None:
        msg.headers.append([b"Content-Length", value])
    else:
        msg.headers[i][1] = value
    msg.content_length_set = True
    return f"Content-Length {value.decode()} for a body of {len(msg.body)}"


def m_broken_uri(rng, msg, ctx):
    uri = rng.choice(_uris(ctx))
    where = rng.random()
    if where < 0.45:
        parts = msg.start.split(b" ")
        if len(parts) >= 3:
            parts[1] = uri
            msg.start = b" ".join(parts)
            return f"Request-URI {uri[:60]!r}"
    i = _pick_header(rng, msg, {b"from", b"to", b"contact", b"route", b"record-route"})
    if i is None:
        return None
    name, value = msg.headers[i]
    new = re.sub(rb"<[^>]*>|sips?:[^;\s>]*", lambda m: b"<" + uri + b">", value, count=1)
    if new == value:
        new = b"<" + uri + b">"
    msg.headers[i][1] = new
    return f"{name.decode('latin-1')} URI {uri[:60]!r}"


def m_odd_method(rng, msg, ctx):
    method = rng.choice(ODD_METHODS + [bytes(rng.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ-._!%*+`'~")
                                             for _ in range(rng.randrange(1, 33)))])
    rest = msg.start.split(b" ", 1)
    msg.start = method + b" " + (rest[1] if len(rest) > 1 else b"")
    if rng.random() < 0.5:
        for i in msg.find(b"cseq"):
            msg.headers[i][1] = msg.headers[i][1].split(b" ")[0] + b" " + method
    return f"method {method[:40]!r}"


def m_bad_request_line(rng, msg, ctx):
    parts = msg.start.split(b" ")
    kind = rng.randrange(5)
    if kind == 0 and len(parts) == 3:
        parts[2] = rng.choice(ODD_VERSIONS)
        msg.start = b" ".join(parts)
        return f"version {parts[2]!r}"
    if kind == 1:
        msg.start = rng.choice([b"\t", b"  ", b" \t "]).join(parts)
        return "request line with odd whitespace"
    if kind == 2:
        msg.start = b" ".join(parts[:rng.randrange(1, max(2, len(parts)))])
        return f"request line cut to {msg.start[:40]!r}"
    if kind == 3:
        msg.start = b" " + msg.start
        return "request line with a leading space"
    msg.start = b"SIP/2.0 200 OK"        # a request dressed as a reply
    return "request line replaced by a status line"


def m_via(rng, msg, ctx):
    i = _pick_header(rng, msg, {b"via", b"v"})
    if i is None:
        return None
    value = msg.headers[i][1]
    variants = [
        (b"SIP/2.0/XYZ", "bad transport"), (b"SIP/2.0/UDP", "UDP on TCP"),
        (re.sub(rb";branch=[^;]*", b"", value), "no branch"),
        (re.sub(rb";rport", b";rport=abc", value), "rport=abc"),
        (value + b";received=999.1.1.1", "bad received"),
        (value.replace(b"z9hG4bK", b""), "branch without magic cookie"),
        (re.sub(rb"(\d+\.\d+\.\d+\.\d+):\d+", rb"\1:0", value), "sent-by port 0"),
        (re.sub(rb"(\d+\.\d+\.\d+\.\d+):\d+", rb"\1:65536", value), "sent-by port 65536"),
        (re.sub(rb"(\d+\.\d+\.\d+\.\d+)", b"[::1", value), "broken IPv6 sent-by"),
        (re.sub(rb"(\d+\.\d+\.\d+\.\d+)", b"nothing.invalid", value), "unresolvable sent-by"),
        (b"", "empty Via"), (value + b"," + value, "two Vias in one header"),
        (value + b";branch=" + b"z9hG4bK" * 50, "second, long branch"),
        (value.replace(b"SIP/2.0/", b"SIP/3.0/"), "Via version 3.0"),
    ]
    new, what = rng.choice(variants)
    if what in ("bad transport", "UDP on TCP"):
        new = re.sub(rb"SIP/2\.0/\w+", new, value)
    if rng.random() < 0.1:
        for _ in range(rng.choice([20, 100, 400])):
            msg.headers.insert(i, [b"Via", value])
        what += ", behind many Vias"
    msg.headers[i][1] = new
    return f"Via: {what}"


def m_header_name(rng, msg, ctx):
    i = _pick_header(rng, msg)
    if i is None:
        return None
    name = msg.headers[i][0]
    compact = {b"via": b"v", b"from": b"f", b"to": b"t", b"call-id": b"i", b"contact": b"m",
               b"content-length": b"l", b"content-type": b"c", b"supported": b"k"}
    kind = rng.randrange(6)
    if kind == 0 and name.lower() in compact:
        msg.headers[i][0] = compact[name.lower()]
        return f"compact form of {name.decode('latin-1')}"
    if kind == 1:
        msg.headers[i][0] = name + rng.choice([b" ", b"\t", b"  "])
        return f"whitespace before the colon of {name.decode('latin-1')}"
    if kind == 2:
        msg.headers[i][0] = name.swapcase()
        return f"case of {name.decode('latin-1')}"
    if kind == 3:
        # no colon at all: name and value run together
        msg.headers[i] = [name + b" " + msg.headers[i][1], b""]
        msg.headers[i][0] = msg.headers[i][0].rstrip()
        return f"no colon after {name.decode('latin-1')}"
    if kind == 4:
        msg.headers.insert(i, [b"", b"value-without-name"])
        return "header without a name"
    msg.headers[i][0] = name + b"X" * rng.choice([100, 1000, 10000])
    return f"long header name from {name.decode('latin-1')}"


def m_folding(rng, msg, ctx):
    i = _pick_header(rng, msg)
    if i is None:
        return None
    name, value = msg.headers[i]
    pos = rng.randrange(len(value) + 1)
    fold = rng.choice([b"\r\n ", b"\r\n\t", b"\r\n", b"\n ", b"\r\n \r\n "])
    msg.headers[i][1] = value[:pos] + fold + value[pos:]
    return f"line folding {fold!r} in {name.decode('latin-1')}"


def m_many_headers(rng, msg, ctx):
    count = rng.choice([50, 200, 1000, 3000])
    name = rng.choice([b"X-Fuzz", b"Via", b"Route", b"Record-Route", b"Contact", b"Supported",
                       b"P-Asserted-Identity", b"Diversion"])
    value = {b"Via": b"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKmany",
             b"Route": b"<sip:" + ctx.edge.encode() + b";lr>",
             b"Record-Route": b"<sip:" + ctx.peer.encode() + b";lr>",
             b"Contact": b"<sip:alice@" + ctx.src.encode() + b">",
             b"P-Asserted-Identity": b"<sip:+41215590001@fuzz.pbx.test>",
             b"Diversion": b"<sip:+41215590001@fuzz.pbx.test>;reason=unconditional"}.get(name, b"x")
    at = rng.randrange(len(msg.headers) + 1)
    msg.headers[at:at] = [[name, value] for _ in range(count)]
    return f"{count} extra {name.decode()} headers"


def m_params(rng, msg, ctx):
    i = _pick_header(rng, msg, {b"from", b"to", b"contact", b"route", b"via", b"record-route"})
    if i is None:
        return None
    name, value = msg.headers[i]
    extra = rng.choice([b";tag=", b";tag", b";tag=a;tag=b", b";=x", b";;", b";expires=abc",
                        b";q=2.5", b";q=-1", b";lr=on", b";transport=", b";ftag=x;did=abc",
                        b";did=999.999", b";" + b"p=1;" * 500, b";x=\"unclosed"])
    if rng.random() < 0.5:
        value = re.sub(rb";tag=[^;>\s]*", b"", value)
    msg.headers[i][1] = value + extra
    return f"{name.decode('latin-1')} params {extra[:30]!r}"


def m_name_addr(rng, msg, ctx):
    i = _pick_header(rng, msg, {b"from", b"to", b"contact", b"p-asserted-identity"})
    if i is None:
        return None
    name, value = msg.headers[i]
    prefix = rng.choice([b'"unclosed <sip:x@y>', b'"a\\"b" ', b'"\xff\xfe" ', b'"\x00" ',
                         b'Display Name ', b'"' + b"d" * 5000 + b'" ', b'<<', b'""',
                         b'"' + "Zürich".encode() + b'" ', b'"\xe9" '])
    msg.headers[i][1] = prefix + value
    return f"{name.decode('latin-1')} display name {prefix[:30]!r}"


def m_auth(rng, msg, ctx):
    i = _pick_header(rng, msg, {b"authorization", b"proxy-authorization"})
    if i is None:
        name = b"Proxy-Authorization" if msg.method == b"INVITE" else b"Authorization"
        msg.headers.append([name, b'Digest username="alice", realm="fuzz.pbx.test", '
                                  b'nonce="x", uri="sip:fuzz.pbx.test", response="0"'])
        i = len(msg.headers) - 1
    name, value = msg.headers[i]
    variants = [
        (re.sub(rb'username="[^"]*", ', b"", value), "no username"),
        (re.sub(rb'username="[^"]*"', b'username="' + rng.choice(NON_UTF8) + b'"', value),
         "non-UTF-8 username"),
        (re.sub(rb'username="[^"]*"', b'username="' + b"u" * 4000 + b'"', value), "huge username"),
        (re.sub(rb'username="[^"]*"', b'username=""', value), "empty username"),
        (re.sub(rb'username="[^"]*"', b'username="bob"', value), "another user's name"),
        (re.sub(rb'username="[^"]*"', b'username="alice@fuzz.pbx.test"', value), "user@domain"),
        (re.sub(rb'realm="[^"]*"', b'realm="other.pbx.test"', value), "other realm"),
        (re.sub(rb'realm="[^"]*"', b'realm="' + rng.choice(NON_UTF8) + b'"', value),
         "non-UTF-8 realm"),
        (re.sub(rb'nonce="[^"]*"', b'nonce="' + b"n" * 3000 + b'"', value), "huge nonce"),
        (re.sub(rb'nonce="[^"]*"', b'nonce=""', value), "empty nonce"),
        (re.sub(rb'response="[^"]*"', b'response="zz"', value), "bad response"),
        (value.replace(b'"', b"", 1), "unbalanced quotes"),
        (value + b', algorithm=SHA-512-256', "odd algorithm"),
        (re.sub(rb"qop=auth", b"qop=auth-int", value), "qop auth-int"),
        (re.sub(rb"nc=\w+", b"nc=zzzzzzzz", value), "bad nc"),
        (b"Basic YWxpY2U6c2VjcmV0", "Basic scheme"), (b"Digest", "bare Digest"),
        (b"Digest " + b"a=b, " * 2000, "2000 parameters"),
        (value + b", username=\"mallory\"", "second username"),
    ]
    new, what = rng.choice(variants)
    msg.headers[i][1] = new
    return f"{name.decode('latin-1')}: {what}"


SDP_LINES = [b"c=IN IP4 999.1.1.1", b"c=IN IP6 ::1", b"c=IN IP4", b"c=IN IP4 0.0.0.0",
             b"c=IN IP4 nothing.invalid", b"c=XX", b"m=audio 0 RTP/AVP 0", b"m=audio 65536 RTP/AVP 0",
             b"m=audio -1 RTP/AVP 0", b"m=audio abc RTP/AVP 0", b"m=audio 4000 RTP/AVP",
             b"m=audio 4000 RTP/SAVP 0", b"m=video 4010 RTP/AVP 96", b"m=image 4020 udptl t38",
             b"m=audio 4000/2 RTP/AVP 0", b"m=audio 4000 RTP/AVP " + b"0 " * 500,
             b"a=rtpmap:0", b"a=rtpmap:abc PCMU/8000", b"a=rtpmap:0 PCMU/-8000",
             b"a=rtcp:abc", b"a=rtcp:99999 IN IP4 127.0.0.1", b"a=fmtp:120 " + b"0-16," * 500,
             b"a=candidate:1 1 UDP 2130706431 192.0.2.1 4000 typ host",
             b"a=candidate:garbage", b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:zz",
             b"a=fingerprint:sha-256 zz", b"a=setup:actpass", b"a=ice-ufrag:" + b"u" * 3000,
             b"a=sendonly", b"a=inactive", b"a=" + b"x" * 20000, b"v=1", b"o=", b"s=\xff\xfe",
             b"t=abc", b"b=AS:-1", b"a=ssrc:abc cname:x", b"a=rtcp-mux", b"a=mid:\x00",
             b"a=group:BUNDLE 0 1", b"k=clear:x", b"z=0 -1h"]


def m_sdp(rng, msg, ctx):
    if not msg.body.startswith(b"v=0") and rng.random() < 0.7:
        return None
    lines = msg.body.split(b"\r\n")
    kind = rng.randrange(6)
    if kind == 0 and len(lines) > 1:
        removed = lines.pop(rng.randrange(len(lines)))
        what = f"SDP line {removed[:30]!r} deleted"
    elif kind == 1 and lines:
        j = rng.randrange(len(lines))
        copies = rng.choice([1, 5, 200])
        lines[j + 1:j + 1] = [lines[j]] * copies
        what = f"SDP line {lines[j][:30]!r} duplicated x{copies}"
    elif kind == 2:
        line = rng.choice(SDP_LINES)
        prefix = line[:2]
        same = [j for j, existing in enumerate(lines) if existing.startswith(prefix)]
        if same and rng.random() < 0.7:
            lines[rng.choice(same)] = line
            what = f"SDP line replaced by {line[:40]!r}"
        else:
            lines.insert(rng.randrange(len(lines) + 1), line)
            what = f"SDP line {line[:40]!r} added"
    elif kind == 3:
        msg.body = msg.body[:rng.randrange(len(msg.body) + 1)]
        msg.content_length_set = rng.random() < 0.5     # (half: the header still says more)
        return f"SDP body truncated to {len(msg.body)} bytes"
    elif kind == 4:
        msg.body = rng.choice([b"", b"\r\n", b"not sdp at all", b"v=0", b"\x00" * 64,
                               b"\xff" * 64, b"v=0\r\n" * 1000, b"<?xml version='1.0'?><x/>"])
        return f"body replaced by {msg.body[:30]!r}"
    else:
        i = _pick_header(rng, msg, {b"content-type"})
        value = rng.choice([b"application/sdp;charset=\xff", b"multipart/mixed;boundary=x",
                            b"multipart/mixed", b"text/plain", b"application/SDP", b"",
                            b"application/sdp, application/sdp", b"/"])
        if i is None:
            msg.headers.append([b"Content-Type", value])
        else:
            msg.headers[i][1] = value
        if value.startswith(b"multipart") and rng.random() < 0.5:
            msg.body = b"--x\r\nContent-Type: application/sdp\r\n\r\n" + msg.body + b"\r\n--x"
        return f"Content-Type {value!r}"
    msg.body = b"\r\n".join(lines)
    return what


def m_body_on_bodyless(rng, msg, ctx):
    if msg.body:
        return None
    msg.body = rng.choice([b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                           b"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", b"x" * 5000, b"\x00\xff" * 100])
    if rng.random() < 0.5:
        msg.headers.append([b"Content-Type", b"application/sdp"])
    return f"body of {len(msg.body)} bytes on a {msg.method[:20].decode('latin-1')}"


STRUCTURED = [(m_delete_header, 10), (m_duplicate_header, 7), (m_huge_value, 5),
              (m_non_utf8, 12), (m_control, 5), (m_nul, 4), (m_bad_number, 8),
              (m_content_length, 4), (m_broken_uri, 10), (m_odd_method, 5),
              (m_bad_request_line, 3), (m_via, 5), (m_header_name, 4), (m_folding, 3),
              (m_many_headers, 2), (m_params, 5), (m_name_addr, 4), (m_auth, 7), (m_sdp, 9),
              (m_body_on_bodyless, 2)]


# -- raw mutations of the built bytes -------------------------------------------------------
def r_byte_flips(rng, data):
    data = bytearray(data)
    count = rng.choice([1, 2, 4, 8, 32])
    for _ in range(count):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data), f"{count} random byte(s) changed"


def r_truncate(rng, data):
    cut = rng.randrange(len(data) + 1)
    return data[:cut], f"truncated to {cut} of {len(data)} bytes"


def r_missing_crlf(rng, data):
    kind = rng.randrange(4)
    if kind == 0:
        head, sep, body = data.partition(b"\r\n\r\n")
        return head + b"\r\n" + body, "blank line after the headers missing"
    if kind == 1:
        return data.replace(b"\r\n", b"\n"), "LF line endings"
    if kind == 2:
        return data.replace(b"\r\n", b"\r"), "CR line endings"
    return data.rstrip(b"\r\n"), "no final CRLF"


def r_insert_random(rng, data):
    pos = rng.randrange(len(data) + 1)
    junk = bytes(rng.randrange(256) for _ in range(rng.choice([1, 16, 256])))
    return data[:pos] + junk + data[pos:], f"{len(junk)} random bytes inserted at {pos}"


def r_twice(rng, data):
    return data + data[:rng.randrange(len(data) + 1)], "message followed by (part of) itself"


def r_odd_whole(rng, data):
    choice = rng.choice([b"", b"\r\n", b"\r\n\r\n", b" " * 100, b"\x00" * 100,
                         b"SIP/2.0 200 OK\r\n\r\n", b"INVITE\r\n\r\n", b"\xff" * 1000])
    return choice, f"whole message replaced by {choice[:20]!r}"


RAW = [(r_byte_flips, 6), (r_truncate, 3), (r_missing_crlf, 3), (r_insert_random, 2),
       (r_twice, 1), (r_odd_whole, 1)]


def _weighted(rng, pairs):
    total = sum(weight for _, weight in pairs)
    pick = rng.uniform(0, total)
    for item, weight in pairs:
        pick -= weight
        if pick <= 0:
            return item
    return pairs[-1][0]


def transport_of(index: int) -> str:
    """Even messages go over UDP, odd ones over TCP."""
    return "tcp" if index % 2 else "udp"


def from_carrier(index: int) -> bool:
    """Whether message `index` is the carrier's (a tenth of them, over both transports)."""
    return index % 20 in (4, 5)


def generate(templates: dict, seed: int, index: int, ctx: Context) -> tuple:
    """Message `index` of `seed` for the values of `ctx`: (bytes, template name, mutations)."""
    rng = random.Random(f"{seed}:{index}")
    name = _weighted(rng, list(TEMPLATE_WEIGHTS.items()))
    if from_carrier(index):
        name = CARRIER_TEMPLATE             # (after the same draw: the others stay as they were)
    msg = Message.parse(fill(templates[name], ctx, seed, index))
    done = []
    count = rng.choice([1, 1, 1, 2, 2, 3])
    while len(done) < count:
        what = _weighted(rng, STRUCTURED)(rng, msg, ctx)
        if what:
            done.append(what)
    data = msg.build()
    if rng.random() < 0.2:
        data, what = _weighted(rng, RAW)(rng, data)
        done.append(what)
    if ctx.transport == "udp" and len(data) > UDP_LIMIT:
        data = data[:UDP_LIMIT]
        done.append(f"cut to {UDP_LIMIT} bytes (one datagram)")
    return data, name, done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.mutate",
                                     description="print one fuzz message of a seed")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--edge", default="127.0.0.1:5060")
    parser.add_argument("--src", default="127.0.0.100:40000")
    parser.add_argument("--peer", default="127.0.0.1:40001")
    args = parser.parse_args(argv)
    src = args.src
    if from_carrier(args.index) and src == parser.get_default("src"):
        src = "127.0.0.2:40000"
    ctx = Context(args.edge, src, args.peer, transport_of(args.index))
    data, name, done = generate(load_corpus(), args.seed, args.index, ctx)
    print(f"# seed {args.seed} index {args.index} over {ctx.transport.upper()}: template "
          f"{name}; " + "; ".join(done))
    print(repr(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
