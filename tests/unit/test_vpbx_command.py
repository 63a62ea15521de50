"""The installed `vpbx` command (the console script pip writes into the venv from
pyproject.toml; scripts/setup.sh links /usr/local/bin/vpbx to it) runs the installed project's
code only, whatever folder it is called in (security issue 21: a `yaml.py` in the working folder
ran as root inside `vpbx export`)."""
import os
import subprocess
import sysconfig

COMMAND = os.path.join(sysconfig.get_path("scripts"), "vpbx")


def test_modules_in_the_working_folder_are_never_imported(tmp_path):
    trap = tmp_path / "trap"
    trap.mkdir()
    for module in ("yaml", "pymysql", "argparse", "vpbx"):
        (trap / f"{module}.py").write_text(
            f"open({str(tmp_path / 'imported')!r}, 'a').write({module!r} + '\\n')\n")
    result = subprocess.run([COMMAND, "--help"], cwd=str(trap), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "apply" in result.stdout
    assert not (tmp_path / "imported").exists(), (tmp_path / "imported").read_text()
