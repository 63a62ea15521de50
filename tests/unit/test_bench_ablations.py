"""bench.ab's ablations: each patch applies to the current routing code and removes its part."""
import glob
import os

import pytest

from bench import ab


def test_every_ablation_applies_to_the_current_code(tmp_path):
    names = sorted(os.path.basename(p)[:-len(".patch")]
                   for p in glob.glob(os.path.join(ab.ABLATIONS, "*.patch")))
    assert {"nolines", "nocdr", "nodlg", "noflow"} <= set(names)
    ab.checkout("." + "".join("+" + name for name in names), str(tmp_path / "all"))
    legs = (tmp_path / "all" / "kemi" / "legs.py").read_text()
    assert "dlg_manage" not in legs and "FLOW_AVP, run.dumps()" not in legs


def test_an_ablation_removes_only_its_part(tmp_path):
    ab.checkout(".+nolines", str(tmp_path / "v"))
    sip = (tmp_path / "v" / "kemi" / "sip.py").read_text()
    assert "def log_route(**fields):\n    return\n" in sip
    assert "def record(kind, **fields):\n    return\n" not in sip


def test_an_unknown_ablation_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="no ablation 'nope'"):
        ab.checkout(".+nope", str(tmp_path / "v"))
