"""KSR's stub (kemi/stubs/KSR.pyi, from Kamailio's app_python.api_list): kemi/ type-checks
against it (mypy.ini), and the check refuses a misspelt or removed KSR function, a wrong
number or type of arguments. tests/integration/test_ksr_stub.py compares the stub with
what the running Kamailio exports."""
import os
import re
import subprocess
import sys

import pytest

from kemi.stubs import generate, known

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# the routes as they are written: no annotations
PROBE = '''import KSR


def route(msg):
    KSR.info("a line\\n")
    KSR.tm.t_relay()
    KSR.tm.t_relayy()
    KSR.is_INVTE()
    KSR.sl.sl_send_reply(404)
    KSR.sl.sl_send_reply("404", "Not Found")
    KSR.pv.sets("$ru", KSR.pv.get("$fu"))
    KSR.x.modf("sl_send_reply", "404", "Not Found")
'''

# the text of `kamcmd app_python.api_list` (Kamailio 5.6), shortened
API_LIST = """{
\tmsize: 5
\tmethods: {
\t\tfunc: {
\t\t\tret: none
\t\t\tmodule: 
\t\t\tname: info
\t\t\tparams: str
\t\t}
\t\tfunc: {
\t\t\tret: bool
\t\t\tmodule: 
\t\t\tname: is_INVITE
\t\t\tparams: none
\t\t}
\t\tfunc: {
\t\t\tret: int
\t\t\tmodule: tm
\t\t\tname: t_relay
\t\t\tparams: none
\t\t}
\t\tfunc: {
\t\t\tret: int
\t\t\tmodule: sl
\t\t\tname: sl_send_reply
\t\t\tparams: int, str
\t\t}
\t\tfunc: {
\t\t\tret: xval
\t\t\tmodule: pv
\t\t\tname: get
\t\t\tparams: str
\t\t}
\t}
}
"""


def mypy(*args):
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_kemi_type_checks_against_the_ksr_of_kamailio():
    done = mypy()
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_refuses_a_misspelt_function_and_wrong_arguments(tmp_path):
    probe = tmp_path / "ksr_probe.py"
    probe.write_text(PROBE)
    done = mypy(str(probe))
    errors = {(int(line), code) for line, code in
              re.findall(r"ksr_probe\.py:(\d+): error: .*\[([a-z-]+)\]", done.stdout)}
    assert errors == {(7, "attr-defined"), (8, "attr-defined"),   # misspelt
                      (9, "call-arg"),                             # an argument missing
                      (10, "arg-type"),                            # "404" for an int
                      (11, "arg-type")}, done.stdout               # int | str | None for str


def test_the_stub_is_rendered_from_the_list_kamailio_gives(tmp_path):
    functions = generate.parse_api_list(API_LIST)
    assert functions[3] == generate.Function("sl", "sl_send_reply", ("int", "str"), "int")
    text = generate.render(functions, "kamailio 5.6.3 (x86_64/linux)")
    assert "in kamailio 5.6.3 (x86_64/linux)," in text.splitlines()[0]
    for line in ("def info(arg1: str, /) -> None: ...", "def is_INVITE() -> bool: ...",
                 "class tm:", "    def t_relay() -> int: ...",
                 "    def sl_send_reply(arg1: int, arg2: str, /) -> int: ...",
                 "    def get(arg1: str, /) -> int | str | None: ..."):
        assert line in text.splitlines()
    stub = tmp_path / "KSR.pyi"
    stub.write_text(text)
    assert known.functions(str(stub)) == {"info": 1, "is_INVITE": 0, "pv.get": 1,
                                          "sl.sl_send_reply": 2, "tm.t_relay": 0,
                                          "x.modf": None}


def test_a_list_read_short_of_its_size_is_refused():
    with pytest.raises(ValueError, match="read 5 functions of 6"):
        generate.parse_api_list(API_LIST.replace("msize: 5", "msize: 6"))
    with pytest.raises(ValueError, match="unknown"):
        generate.render(generate.parse_api_list(API_LIST.replace("ret: xval", "ret: array")),
                        "kamailio")


def test_the_committed_stub_lists_kamailios_functions():
    functions = known.functions()
    assert len(functions) > 500
    assert functions["is_INVITE"] == 0 and functions["sl.sl_send_reply"] == 2
    assert functions["pv.get"] == 1 and functions["x.modf"] is None
