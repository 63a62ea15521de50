"""Pytest-side SIP test phone: one PJSUA2 agent subprocess per phone.

Usage, through the PBX::

    with Phone("1001", "secret", "acme.pbx.test", proxy_port=5060) as alice, \\
         Phone("1002", "secret", "acme.pbx.test", proxy_port=5060) as bob:
        assert alice.register() == 200 and bob.register() == 200
        alice.call("1002")
        ringing = bob.wait_incoming()
        bob.answer()
        alice.wait_call_state("CONFIRMED")
        alice.wait_rtp(min_packets=20)
        alice.hangup()

or peer to peer, without a registrar: ``Phone("bob")`` and
``alice.call(bob.contact_uri)``.

Every blocking method has a timeout and raises :class:`PhoneTimeout` (both
an ``AssertionError`` and a ``TimeoutError``) naming what did not happen,
:class:`PhoneCommandError` when the agent refused a command, or
:class:`PhoneError` (their base, an ``AssertionError``) when a wait can no
longer succeed, e.g. the call ended before reaching the awaited state.  Error
messages end with the phone's latest events and its log file paths.

Calls are named by integer handles that the phone's agent gives out.  A
phone may hold several calls at once; methods that take ``call_id=None`` act
on the *current call*: the newest call that has not ended, or else the
newest call.  ``answer``/``reject`` default to the newest ringing incoming
call instead.

Times in events are ``mono`` (``time.monotonic()``, comparable across
processes on Linux) and ``wall`` (``time.time()``), stamped in the agent
when the event happened.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

AGENT_PATH = Path(__file__).with_name("phone_agent.py")
DEFAULT_LOG_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "phones"
COMMAND_TIMEOUT = 5.0
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
RTP_POLL_INTERVAL = 0.1
EVENTS_SHOWN_IN_ERRORS = 12
# Well apart and not harmonics of each other, inside the 300-3400 Hz telephone band.
# tones that pass G.711 at 8 kHz cleanly (3100 Hz came out saturated, its harmonics folded)
TONE_FREQUENCIES_HZ = (440, 697, 1013, 1330, 1760, 2150, 2600)

_phone_numbers = itertools.count()
T = TypeVar("T")


class PhoneError(AssertionError):
    """Something a test expected from a phone did not happen."""


class PhoneTimeout(PhoneError, TimeoutError):
    """Something a test waited for on a phone did not happen in time."""


class PhoneCommandError(PhoneError):
    """The phone's agent refused or failed a command, or is not running."""


class Phone:
    """A SIP phone (one PJSUA2 agent subprocess) with blocking, timed methods.

    ``username``/``password``/``domain``/``proxy_port`` configure the account
    ``sip:username@domain``, registering at ``sip:domain`` through the
    outbound proxy ``sip:proxy_host:proxy_port;lr`` (so the domain need not
    resolve).  Without ``proxy_port`` the phone is peer to peer: it cannot
    register and calls only full SIP URIs; others reach it at
    :attr:`contact_uri`.

    ``tone_hz`` is the frequency this phone sends once a call has media
    (by default a different one for each phone of the test process).
    ``sip_port`` is the local UDP port (0: chosen by the OS); after
    :meth:`start` the attribute holds the port in use.
    Logs go to ``log_dir`` (default ``tests/artifacts/phones``) as
    ``NAME.pjsip.log`` and ``NAME.agent.log``; ``NAME`` defaults to
    ``USERNAME-N``.  ``bind_address`` is the loopback address the phone uses for SIP and
    RTP (127.0.0.2 plays the carrier).  ``accept_transfers=False`` makes the phone refuse
    REFER with 603.  ``display_name`` is put before the account's URI in the From
    of every request (e.g. a number the phone pretends to be).
    """

    def __init__(
        self,
        username: str,
        password: Optional[str] = None,
        domain: Optional[str] = None,
        proxy_port: Optional[int] = None,
        proxy_host: str = "127.0.0.1",
        name: Optional[str] = None,
        log_dir: Optional[os.PathLike] = None,
        tone_hz: Optional[int] = None,
        sip_port: int = 0,
        bind_address: str = "127.0.0.1",
        accept_transfers: bool = True,
        log_level: int = 3,
        display_name: Optional[str] = None,
    ):
        if proxy_port is not None and not domain:
            raise ValueError("a phone that uses a proxy needs a domain")
        number = next(_phone_numbers)
        self.username = username
        self.password = password
        self.domain = domain
        self.proxy = f"{proxy_host}:{proxy_port}" if proxy_port is not None else None
        self.name = name or f"{username}-{number}"
        self.tone_hz = tone_hz or TONE_FREQUENCIES_HZ[number % len(TONE_FREQUENCIES_HZ)]
        self.sip_port = sip_port
        self.bind_address = bind_address
        self.accept_transfers = accept_transfers
        self.log_level = log_level
        self.display_name = display_name
        log_dir = Path(log_dir) if log_dir is not None else DEFAULT_LOG_DIR
        self.pjsip_log_path = log_dir / f"{self.name}.pjsip.log"
        self.agent_log_path = log_dir / f"{self.name}.agent.log"
        self.contact_uri: Optional[str] = None
        self.account_uri: Optional[str] = None

        self._process: Optional[subprocess.Popen] = None
        self._exit_code: Optional[int] = None
        self._reader: Optional[threading.Thread] = None
        self._agent_log = None
        self._changed = threading.Condition()
        self._events: list[dict] = []
        self._replies: dict[int, dict] = {}
        self._stray_output: list[str] = []
        self._agent_gone = False
        self._next_command_id = itertools.count(1)
        self._returned_events: set[int] = set()  # seq of events that wait_incoming/... handed out
        self._placed_calls: set[int] = set()

    # --- life cycle -------------------------------------------------------

    def start(self) -> "Phone":
        """Start the agent and wait until its SIP transport is up; return self."""
        if self._process is not None:
            raise PhoneCommandError(f"{self.name}: already started")
        self.pjsip_log_path.parent.mkdir(parents=True, exist_ok=True)
        self.pjsip_log_path.unlink(missing_ok=True)
        self._agent_log = open(self.agent_log_path, "w", encoding="utf-8")
        command = [
            sys.executable, str(AGENT_PATH),
            "--name", self.name,
            "--username", self.username,
            "--sip-port", str(self.sip_port),
            "--bind-address", self.bind_address,
            "--tone-hz", str(self.tone_hz),
            "--log-file", str(self.pjsip_log_path),
            "--log-level", str(self.log_level),
        ]
        if self.password is not None:
            command += ["--password", self.password]
        if self.domain:
            command += ["--domain", self.domain]
        if self.proxy:
            command += ["--proxy", self.proxy]
        if not self.accept_transfers:
            command.append("--refuse-transfers")
        if self.display_name:
            command += ["--display-name", self.display_name]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._agent_log,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read_agent_output, name=f"{self.name}-reader", daemon=True)
        self._reader.start()
        try:
            ready = self._wait_for("the agent to start (ready event)", lambda: self._find_event("ready"), START_TIMEOUT)
        except PhoneError:
            self.close()
            raise
        self.sip_port = ready["sip_port"]
        self.contact_uri = ready["contact_uri"]
        self.account_uri = ready["account_uri"]
        return self

    def close(self) -> None:
        """Stop the agent (it hangs up its calls), killing it if it does not stop in time."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            try:
                self._send({"id": None, "cmd": "quit"})
                process.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        if self._reader is not None:
            self._reader.join(STOP_TIMEOUT)
        if self._agent_log is not None:
            self._agent_log.close()
        self._exit_code = process.returncode
        self._process = None

    def __enter__(self) -> "Phone":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def exit_code(self) -> Optional[int]:
        """The agent's exit status once it has stopped (0 after a clean close), else None."""
        return self._process.poll() if self._process is not None else self._exit_code

    @property
    def agent_errors(self) -> list[dict]:
        """agent_error events: callbacks or start-up steps that failed inside the agent."""
        return self.events("agent_error")

    # --- registration -----------------------------------------------------

    def register(self, expires: int = 300, timeout: float = 5.0) -> int:
        """Send REGISTER (answering digest challenges); return its final status code."""
        return self._registration("register", timeout, expires=expires)

    def unregister(self, timeout: float = 5.0) -> int:
        """Send REGISTER with expires 0; return its final status code."""
        return self._registration("unregister", timeout)

    def _registration(self, command: str, timeout: float, **args: Any) -> int:
        mark = self._last_seq()
        self._request(command, **args)
        event = self._wait_for(
            f"a final response to {command}",
            lambda: self._find_event("reg_state", after=mark),
            timeout,
        )
        return event["code"]

    # --- calls --------------------------------------------------------------

    def call(self, dest: str, record_to: Optional[os.PathLike] = None,
             headers: Optional[list[tuple[str, str]]] = None) -> int:
        """Send INVITE to ``dest`` and return the new call's handle.

        ``dest`` is a full ``sip:`` URI, or a user part (e.g. "7956") made into
        ``sip:7956@domain``.  ``record_to`` is a WAV file for what this phone
        receives in the call.  ``headers`` are (name, value) pairs the INVITE
        carries as well, in order (e.g. a forged P-Asserted-Identity).
        """
        result = self._request("call", uri=self._target_uri(dest), record_to=_path_or_none(record_to),
                               headers=[list(header) for header in headers or ()])
        with self._changed:
            self._placed_calls.add(result["call"])
        return result["call"]

    def wait_call_state(self, state: str, call_id: Optional[int] = None, timeout: float = 5.0) -> dict:
        """Wait until the call has reached ``state`` (e.g. "EARLY", "CONFIRMED",
        "DISCONNECTED"); return that call_state event.

        Fails at once if the call ends without having reached ``state``.
        """
        call_id = self._resolve_call(call_id)

        def reached():
            event = self._find_event("call_state", call=call_id, state=state)
            if event is None and self._latest_state(call_id) == "DISCONNECTED":
                ended = self._find_last_event("call_state", call=call_id)
                raise PhoneError(
                    f"{self.name}: call {call_id} ended ({ended['last_status']} {ended['last_reason']}) "
                    f"without reaching state {state}" + self._diagnostics()
                )
            return event

        return dict(self._wait_for(f"call {call_id} to reach state {state}", reached, timeout))

    def call_state(self, call_id: Optional[int] = None) -> str:
        """Return the call's latest state ("NULL" before any state event)."""
        event = self._latest_call_state_event(call_id)
        return event["state"] if event else "NULL"

    def last_status(self, call_id: Optional[int] = None) -> Optional[int]:
        """Return the final status code of the call's INVITE (200, 404, 480, 486,
        487...), or None while it has none."""
        event = self._latest_call_state_event(call_id)
        return event["invite_status"] if event else None

    def wait_incoming(self, timeout: float = 5.0) -> dict:
        """Wait for the next incoming call not returned before; return its details.

        The phone has already answered it with 180 Ringing.  The dict has
        ``call`` (handle), ``ring_mono``/``ring_wall`` (when it started
        ringing), ``remote_uri`` (From), ``remote_contact``, ``sip_call_id``,
        ``source`` (address the INVITE came from) and ``invite_text`` (raw INVITE).
        """
        event = self._wait_for_next("incoming_call", "an incoming call", timeout)
        return dict(event, ring_mono=event["mono"], ring_wall=event["wall"])

    def answer(self, code: int = 200, call_id: Optional[int] = None, record_to: Optional[os.PathLike] = None) -> None:
        """Answer an incoming call with ``code`` (200 connects it; the caller's
        ACK is awaited with ``wait_call_state("CONFIRMED")``)."""
        self._request("answer", call=self._resolve_ringing_call(call_id), code=code, record_to=_path_or_none(record_to))

    def redirect(self, contact: str, code: int = 302, call_id: Optional[int] = None) -> None:
        """Forward the ringing call the way a phone's call forwarding does: answer ``code``
        (302 Moved Temporarily) with ``contact`` (user part or URI) as the new target."""
        self._request("answer", call=self._resolve_ringing_call(call_id), code=code,
                      headers=[("Contact", f"<{self._target_uri(contact)}>")])

    def reject(self, code: int = 486, call_id: Optional[int] = None, timeout: float = 5.0) -> None:
        """Refuse a ringing incoming call with ``code`` and wait until it has ended."""
        call_id = self._resolve_ringing_call(call_id)
        self._request("hangup", call=call_id, code=code)
        self.wait_call_state("DISCONNECTED", call_id, timeout)

    def hangup(self, call_id: Optional[int] = None, timeout: float = 5.0) -> None:
        """End the call (BYE, or CANCEL while it rings) and wait until it has ended."""
        call_id = self._resolve_call(call_id)
        self._request("hangup", call=call_id)
        self.wait_call_state("DISCONNECTED", call_id, timeout)

    def wait_cancelled(self, call_id: Optional[int] = None, timeout: float = 5.0) -> dict:
        """Wait until the caller cancels this incoming call; return ``mono``/``wall``
        (when the CANCEL arrived) and ``text`` (the raw CANCEL, e.g. to read
        its Reason header)."""
        return self.wait_request("CANCEL", call_id, timeout)

    def wait_request(self, method: str, call_id: Optional[int] = None, timeout: float = 5.0) -> dict:
        """Wait for a SIP request with ``method`` received inside the call; return
        the sip_rx event (``text`` is the raw message)."""
        call_id = self._resolve_call(call_id)
        event = self._wait_for(
            f"a {method} request in call {call_id}",
            lambda: self._find_event("sip_rx", call=call_id, kind="request", method=method),
            timeout,
        )
        return dict(event)

    def received_messages(self, call_id: Optional[int] = None, method: Optional[str] = None) -> list[dict]:
        """Return the SIP requests and responses received in the call so far,
        optionally only those of one method (responses carry their request's method)."""
        criteria: dict[str, Any] = {"call": self._resolve_call(call_id)}
        if method is not None:
            criteria["method"] = method
        return self.events("sip_rx", **criteria)

    # --- hold and transfer -------------------------------------------------

    def hold(self, call_id: Optional[int] = None, timeout: float = 5.0,
             headers: Optional[list[tuple[str, str]]] = None) -> None:
        """Put the call on hold (re-INVITE, a=sendonly, with the extra (name, value)
        headers given) and wait until it is held."""
        self._change_media("hold", "LOCAL_HOLD", call_id, timeout,
                           headers=[list(header) for header in headers or ()])

    def unhold(self, call_id: Optional[int] = None, timeout: float = 5.0) -> None:
        """Resume a held call (re-INVITE, a=sendrecv) and wait until media is active."""
        self._change_media("unhold", "ACTIVE", call_id, timeout)

    def _change_media(self, command: str, status: str, call_id: Optional[int], timeout: float,
                      **args) -> None:
        call_id = self._resolve_call(call_id)
        mark = self._last_seq()
        self._request(command, call=call_id, **args)
        self._wait_for(
            f"media of call {call_id} to become {status} after {command}",
            lambda: self._find_event("media_state", after=mark, call=call_id, status=status),
            timeout,
        )

    def wait_media_state(self, status: str, call_id: Optional[int] = None, timeout: float = 5.0) -> dict:
        """Wait until the call's media status is ``status`` ("ACTIVE",
        "LOCAL_HOLD", "REMOTE_HOLD", "NONE", "ERROR") at its latest change."""
        call_id = self._resolve_call(call_id)

        def latest_has_status():
            event = self._find_last_event("media_state", call=call_id)
            return event if event and event["status"] == status else None

        return dict(self._wait_for(f"media of call {call_id} to be {status}", latest_has_status, timeout))

    def send_dtmf(self, digits: str, call_id: Optional[int] = None) -> None:
        """Send DTMF digits (0-9, *, #) in the call as RFC 4733 telephone-events."""
        self._request("dtmf", call=self._resolve_call(call_id), digits=digits)

    def transfer(self, dest: str, call_id: Optional[int] = None) -> None:
        """Blind-transfer the call to ``dest`` (user part or URI) by sending REFER.

        The outcome comes with :meth:`wait_transfer_result`; hanging up the
        original call afterwards is up to the test.
        """
        self._request("transfer", call=self._resolve_call(call_id), uri=self._target_uri(dest))

    def transfer_attended(self, call_id: int, target_call_id: int) -> None:
        """Attended transfer: REFER the peer of ``call_id`` to the peer of
        ``target_call_id`` (the consultation call), with Replaces of that call."""
        self._request("transfer_attended", call=call_id, target_call=target_call_id)

    def wait_replaced(self, timeout: float = 10.0) -> dict:
        """Wait until an INVITE with Replaces takes the place of one of this phone's
        calls; return the event: ``call`` (the replaced call) and ``new_call``."""
        return self._wait_for_next("replace_request", "an INVITE with Replaces", timeout)

    def wait_transfer_result(self, call_id: Optional[int] = None, timeout: float = 10.0) -> int:
        """Wait for the final NOTIFY of this phone's transfer; return its status
        code (200 when the transfer target answered)."""
        call_id = self._resolve_call(call_id)
        event = self._wait_for(
            f"the final result of the transfer of call {call_id}",
            lambda: self._find_event("transfer_status", call=call_id, final=True),
            timeout,
        )
        return event["status"]

    def wait_transfer_request(self, timeout: float = 5.0) -> dict:
        """Wait for the next REFER this phone receives (not returned before);
        return the event: ``call`` (the referred call), ``target`` (Refer-To
        URI), ``accepted`` and ``new_call`` (handle of the call to the target,
        if accepted)."""
        return self._wait_for_next("transfer_request", "a transfer request (REFER)", timeout)

    # --- media ----------------------------------------------------------------

    def rtp_stats(self, call_id: Optional[int] = None) -> dict:
        """Return the call's RTP counters: ``rx_packets``, ``tx_packets``,
        ``remote_rtp_address`` ("ip:port" this phone sends to), ``codec`` and
        ``state``.  Values are kept after the call has ended."""
        return self._request("rtp_stats", call=self._resolve_call(call_id))

    def wait_rtp(self, min_packets: int = 20, call_id: Optional[int] = None, timeout: float = 5.0) -> dict:
        """Wait until the call has both received and sent at least ``min_packets``
        RTP packets; return the RTP stats."""
        call_id = self._resolve_call(call_id)
        deadline = time.monotonic() + timeout
        while True:
            stats = self.rtp_stats(call_id)
            if stats["rx_packets"] >= min_packets and stats["tx_packets"] >= min_packets:
                return stats
            if time.monotonic() >= deadline or stats["state"] == "DISCONNECTED":
                raise PhoneTimeout(
                    f"{self.name}: call {call_id} did not receive and send {min_packets} RTP packets "
                    f"within {timeout}s: {stats}" + self._diagnostics()
                )
            time.sleep(RTP_POLL_INTERVAL)

    def wait_recording(self, call_id: Optional[int] = None, timeout: float = 5.0) -> Path:
        """Wait until the WAV file recorded in the call (see ``record_to``) is
        complete, which happens shortly after the call ends; return its path."""
        call_id = self._resolve_call(call_id)
        event = self._wait_for(
            f"the recording of call {call_id} to be finished (it needs record_to and the call's end)",
            lambda: self._find_event("recording_finished", call=call_id),
            timeout,
        )
        return Path(event["path"])

    # --- events -----------------------------------------------------------------

    def events(self, kind: Optional[str] = None, /, **criteria: Any) -> list[dict]:
        """Return a copy of the events received so far, optionally filtered by
        kind and by field values (e.g. ``events("call_state", call=1)``)."""
        with self._changed:
            return [dict(e) for e in self._events if _matches(e, kind, criteria)]

    @property
    def current_call(self) -> Optional[int]:
        """Handle of the newest call that has not ended, else of the newest call."""
        with self._changed:
            return self._current_call()

    # --- internals ----------------------------------------------------------------

    def _target_uri(self, dest: str) -> str:
        if dest.startswith(("sip:", "sips:", "tel:")):
            return dest
        if not self.domain:
            raise ValueError(f"{self.name} has no domain: call a full sip: URI, not {dest!r}")
        return f"sip:{dest}@{self.domain}"

    def _current_call(self) -> Optional[int]:
        handles = self._call_handles()
        live = [h for h in handles if self._latest_state(h) != "DISCONNECTED"]
        return (live or handles or [None])[-1]

    def _call_handles(self) -> list[int]:
        handles = set(self._placed_calls)
        for event in self._events:
            if event["event"] in ("call_state", "incoming_call"):
                handles.add(event["call"])
        return sorted(handles)

    def _latest_call_state_event(self, call_id: Optional[int]) -> Optional[dict]:
        call_id = self._resolve_call(call_id)
        with self._changed:
            return self._find_last_event("call_state", call=call_id)

    def _latest_state(self, call_id: int) -> str:
        event = self._find_last_event("call_state", call=call_id)
        return event["state"] if event else "NULL"

    def _resolve_call(self, call_id: Optional[int]) -> int:
        if call_id is not None:
            return call_id
        with self._changed:
            current = self._current_call()
        if current is None:
            raise PhoneCommandError(f"{self.name}: has no call" + self._diagnostics())
        return current

    def _resolve_ringing_call(self, call_id: Optional[int]) -> int:
        if call_id is not None:
            return call_id
        with self._changed:
            ringing = [
                e["call"] for e in self._events
                if e["event"] == "incoming_call" and self._latest_state(e["call"]) in ("NULL", "INCOMING", "EARLY")
            ]
        if not ringing:
            raise PhoneCommandError(f"{self.name}: has no incoming call to answer" + self._diagnostics())
        return ringing[-1]

    def _find_event(self, kind: str, /, after: int = 0, **criteria: Any) -> Optional[dict]:
        for event in self._events:
            if event["seq"] > after and _matches(event, kind, criteria):
                return event
        return None

    def _find_last_event(self, kind: str, /, **criteria: Any) -> Optional[dict]:
        for event in reversed(self._events):
            if _matches(event, kind, criteria):
                return event
        return None

    def _last_seq(self) -> int:
        with self._changed:
            return self._events[-1]["seq"] if self._events else 0

    def _wait_for(self, description: str, found: Callable[[], Optional[T]], timeout: float) -> T:
        """Wait until ``found()`` (called with the lock held) returns non-None."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = found()
                if result is not None:
                    return result
                if self._agent_gone:
                    raise PhoneCommandError(
                        f"{self.name}: agent exited (status {self.exit_code}) while waiting for {description}"
                        + self._diagnostics()
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PhoneTimeout(
                        f"{self.name}: {description} did not happen within {timeout}s" + self._diagnostics()
                    )
                self._changed.wait(remaining)

    def _wait_for_next(self, kind: str, description: str, timeout: float) -> dict:
        """Wait for the first event of ``kind`` not returned by this method before; return a copy."""

        def next_unreturned():
            for event in self._events:
                if event["event"] == kind and event["seq"] not in self._returned_events:
                    self._returned_events.add(event["seq"])
                    return dict(event)
            return None

        return self._wait_for(description, next_unreturned, timeout)

    def _request(self, command: str, timeout: float = COMMAND_TIMEOUT, **args: Any) -> Any:
        """Send a command to the agent and return its result, or raise PhoneCommandError."""
        if self._process is None:
            raise PhoneCommandError(f"{self.name}: not started; cannot {command}")
        command_id = next(self._next_command_id)
        self._send({"id": command_id, "cmd": command, "args": args})
        reply = self._wait_for(f"the reply to {command} {args}", lambda: self._replies.pop(command_id, None), timeout)
        if not reply["ok"]:
            raise PhoneCommandError(f"{self.name}: {reply['error']}" + self._diagnostics())
        return reply["result"]

    def _send(self, message: dict) -> None:
        try:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise PhoneCommandError(
                f"{self.name}: cannot reach the agent ({exc}) to send {message}" + self._diagnostics()
            ) from exc

    def _read_agent_output(self) -> None:
        """Reader thread: file the agent's events and replies, then note its exit."""
        for line in self._process.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                message = None
            with self._changed:
                if isinstance(message, dict) and message.get("type") == "event":
                    self._events.append(message)
                elif isinstance(message, dict) and message.get("type") == "reply":
                    self._replies[message["id"]] = message
                else:
                    self._stray_output.append(line.rstrip("\n"))
                self._changed.notify_all()
        try:
            self._process.wait(STOP_TIMEOUT)  # so that errors can show the exit status
        except subprocess.TimeoutExpired:
            pass
        with self._changed:
            self._agent_gone = True
            self._changed.notify_all()

    def _diagnostics(self) -> str:
        """Recent events and log paths, appended to error messages."""
        recent = [_summarize(e) for e in self._events[-EVENTS_SHOWN_IN_ERRORS:]]
        text = "\n  recent events: " + ("\n    ".join([""] + recent) if recent else "none")
        if self._stray_output:
            text += f"\n  stray agent output: {self._stray_output[-5:]}"
        return text + f"\n  logs: {self.pjsip_log_path} and {self.agent_log_path}"


def _matches(event: dict, kind: Optional[str], criteria: dict) -> bool:
    if kind is not None and event["event"] != kind:
        return False
    return all(event.get(key) == value for key, value in criteria.items())


def _summarize(event: dict) -> str:
    """One line for an event, without bulky fields such as raw SIP messages."""
    fields = {k: v for k, v in event.items() if k not in ("type", "text", "invite_text", "traceback", "wall")}
    if "traceback" in event:
        fields["error"] = event["traceback"].strip().splitlines()[-1]
    return json.dumps(fields)


def _path_or_none(path: Optional[os.PathLike]) -> Optional[str]:
    return os.fspath(path) if path is not None else None
