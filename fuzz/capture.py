"""How fuzz/corpus/ was made: real messages of the PJSUA2 test phones (tests/sip/phone.py)
through a fuzz platform instance, turned into templates.

    python -m fuzz.capture [--out fuzz/corpus]

alice and bob register (the 401 challenge, then digest credentials), alice calls bob (407,
then the INVITE with credentials), bob answers, alice hangs up (ACK, BYE); alice calls again
and cancels while it rings (CANCEL), then both unregister. Every request alice sent is read
back from her pjsip log (level 5 prints each message sent) and the values of that run are
replaced by placeholders that the fuzzer fills at send time (fuzz.mutate.fill): {edge} the
edge's host:port, {src} the sender's host:port, {host} its address (SDP), {peer} where
in-dialog requests go (bob's contact; the fuzzer's sink), {callid}, {branch}, {ftag}, {ttag}.
The stale nonces and digest responses stay as captured. OPTIONS and MESSAGE, which the phones
do not send, are written by hand in the same shape (options.sip, message.sip).
"""
import argparse
import os
import re
import sys
import tempfile

from fuzz import platform as fuzz_platform

CORPUS = os.path.join(fuzz_platform.FUZZ_DIR, "corpus")
_MESSAGE = re.compile(r"TX \d+ bytes Request msg (\w+)/cseq=\d+ .*?:\n(.*?)\n--end msg--",
                      re.S)


def captured_requests(folder: str) -> tuple[list, dict]:
    """Run the phones' scenario on a fresh instance; (alice's requests as text, the values
    to turn into placeholders)."""
    from tests.sip.phone import Phone
    with fuzz_platform.running(os.path.join(folder, "instance")) as inst:
        port = inst.cfg.sip_port
        phones = {name: Phone(name, fuzz_platform.PASSWORDS[name], fuzz_platform.DOMAIN, port,
                              name=name, log_dir=folder, log_level=5).start()
                  for name in ("alice", "bob")}
        alice, bob = phones["alice"], phones["bob"]
        try:
            assert alice.register() == 200 and bob.register() == 200
            alice.call(fuzz_platform.EXTENSIONS["bob"])
            bob.wait_incoming()
            bob.answer()
            alice.wait_call_state("CONFIRMED")
            alice.hangup()
            alice.call(fuzz_platform.EXTENSIONS["bob"])
            bob.wait_incoming()
            alice.hangup()                      # CANCEL while it rings
            alice.unregister()
            bob.unregister()
            values = {"edge": f"127.0.0.1:{port}", "src": f"127.0.0.1:{alice.sip_port}",
                      "peer": f"127.0.0.1:{bob.sip_port}"}
        finally:
            for phone in phones.values():
                phone.close()
    with open(os.path.join(folder, "alice.pjsip.log"), errors="replace") as handle:
        log = handle.read()
    return _MESSAGE.findall(log), values


def template(text: str, values: dict) -> str:
    """A captured request with the run's values replaced by placeholders."""
    text = text.replace(values["edge"], "{edge}").replace(values["src"], "{src}")
    text = text.replace(values["peer"], "{peer}")
    text = re.sub(r"(?m)^(Call-ID: ).*$", r"\1{callid}", text)
    text = re.sub(r"branch=z9hG4bK[^;\s]+", "branch=z9hG4bK{branch}", text)
    text = re.sub(r"(?m)^(From: .*;tag=)[^;\s]+", r"\1{ftag}", text)
    text = re.sub(r"(?m)^(To: .*;tag=)[^;\s]+", r"\1{ttag}", text)
    text = re.sub(r"ftag=[^;>\s]+", "ftag={ftag}", text)
    text = text.replace("127.0.0.1", "{host}")
    return text.replace("\r\n", "\n")


def name_of(method: str, text: str, seen: dict) -> str:
    kind = method.lower()
    if method in ("REGISTER", "INVITE") and re.search(r"(?m)^(Proxy-)?Authorization:", text):
        kind += "-auth"
    if method == "REGISTER" and re.search(r"(?m)^Expires: 0$", text):
        kind = "unregister-auth" if kind.endswith("-auth") else "unregister"
    if method == "ACK":
        kind = "ack-dialog" if re.search(r"(?m)^To: .*;tag=\{ttag\}", text) and "did=" in text \
            else "ack-negative"
    seen[kind] = seen.get(kind, 0) + 1
    return kind


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.capture", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=CORPUS)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vpbx-fuzz-capture-") as folder:
        messages, values = captured_requests(folder)
    seen, written = {}, []
    for method, text in messages:
        body = template(text, values)
        kind = name_of(method, body, seen)
        if seen[kind] > 1:
            continue                            # the first of each kind
        path = os.path.join(args.out, f"{kind}.sip")
        with open(path, "w") as handle:
            handle.write(body)
        written.append(os.path.basename(path))
    print("captured:", ", ".join(sorted(written)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
