"""Request floods: an address that sends far more requests than a phone or an office would is
dropped, unanswered, for a while; other addresses go on being served, and the flooder is
served again once its ban is over (vpbx/edge/flood_guard.py)."""
import socket
import time

from tests.support.instance import FLOOD_BAN_SECONDS
from tests.support.rawsip import register_with_password, replies_within
from vpbx.settings.platform import FLOOD_REQUESTS

FLOODER = "127.0.0.67"          # (all of 127/8 is loopback: a second host for the edge)


def options(sock, number):
    host, port = sock.getsockname()
    return (f"OPTIONS sip:{host} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bKflood{number};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:probe@{host}>;tag=f{number}\r\n"
            f"To: <sip:{host}>\r\nCall-ID: flood-{number}@{host}\r\n"
            f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


def test_a_flooding_address_is_dropped_for_a_while_and_nobody_else_is(platform, monkeypatch,
                                                                       capsys):
    from vpbx.command import main as cli
    monkeypatch.setenv("VPBX_CONFIG", platform.cfg.path)
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flooder, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as office:
        flooder.bind((FLOODER, 0))
        flooder.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        office.bind((platform.cfg.sip_address, 0))
        sent = 4 * FLOOD_REQUESTS
        for number in range(sent):
            flooder.sendto(options(flooder, number), edge)
        # the 201st within 2 s starts the ban: it and the rest go unanswered (not refused)
        assert replies_within(flooder, 2.0) == ["SIP/2.0 200 OK"] * FLOOD_REQUESTS
        ban = platform.wait_log("VPBX-ROUTE", decision="flood", source=FLOODER)
        assert (ban["outcome"], ban["ban_seconds"], ban["method"], ban["from"]) == \
            ("drop:banned", str(FLOOD_BAN_SECONDS), "OPTIONS", "probe")
        # the request that started it: the one after the limit (two workers may swap two)
        number = int(ban["call_id"].removeprefix("flood-").removesuffix(f"@{FLOODER}"))
        assert FLOOD_REQUESTS - 2 <= number <= FLOOD_REQUESTS + 2
        assert len(platform.log_lines("VPBX-ROUTE", decision="flood", source=FLOODER)) == 1
        banned_at = time.monotonic()
        # banned: its next request goes unanswered
        flooder.sendto(options(flooder, sent), edge)
        assert replies_within(flooder, 1.0) == []
        assert cli.main(["bans"]) == 0
        assert f"flood\t{FLOODER}\n" in capsys.readouterr().out
        # everybody else is served
        assert register_with_password(platform, office, "bob", "bob-s3cret!", call="o2") == 200
        time.sleep(max(0.0, banned_at + FLOOD_BAN_SECONDS + 1.5 - time.monotonic()))
        assert register_with_password(platform, flooder, "bob", "bob-s3cret!",
                                      call="after") == 200


def test_a_burst_over_the_limit_within_two_seconds_is_banned_wherever_it_falls(platform):
    """300 requests in 1.85 s, the burst that pike's fixed windows let through when it fell
    across two of them: the rule is any 2 s."""
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    source = "127.0.0.68"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flooder:
        flooder.bind((source, 0))
        flooder.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        # start in the middle of a 2 s window of the clock, where fixed windows split it
        time.sleep(2 - (time.time() % 2) + 1.0)
        started = time.monotonic()
        for number in range(300):
            time.sleep(max(0.0, started + 1.85 * number / 300 - time.monotonic()))
            flooder.sendto(options(flooder, 10000 + number), edge)
        answered = [line for line in replies_within(flooder, 1.5) if line.startswith("SIP/2.0 200")]
    assert len(answered) == FLOOD_REQUESTS
    assert platform.wait_log("VPBX-ROUTE", decision="flood", source=source)


def test_a_busy_office_under_the_limit_is_never_banned(platform):
    """70 requests a second for 6 s (175 within any 2.5 s): every one answered."""
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as office:
        office.bind(("127.0.0.69", 0))
        office.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        started = time.monotonic()
        for number in range(420):
            time.sleep(max(0.0, started + number / 70 - time.monotonic()))
            office.sendto(options(office, 20000 + number), edge)
        answered = [line for line in replies_within(office, 1.0) if line.startswith("SIP/2.0 200")]
    assert len(answered) == 420
