"""The installed `vpbx` command (scripts/vpbx.in, written by scripts/setup.sh) runs the
project's code only, whatever folder it is called in (security issue 21: a `yaml.py` in the
working folder ran as root inside `vpbx export`)."""
import os
import stat
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def installed_command(folder):
    """scripts/vpbx.in as setup.sh installs it, in `folder`."""
    with open(os.path.join(ROOT, "scripts", "vpbx.in")) as handle:
        text = handle.read().replace("@ROOT@", ROOT)
    path = os.path.join(folder, "vpbx")
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, stat.S_IRWXU)
    return path


def test_modules_in_the_working_folder_and_the_callers_pythonpath_are_never_imported(tmp_path):
    command = installed_command(str(tmp_path))
    trap = tmp_path / "trap"
    trap.mkdir()
    for module in ("yaml", "pymysql", "argparse_extra", "vpbx"):
        (trap / f"{module}.py").write_text(
            f"open({str(tmp_path / 'imported')!r}, 'a').write({module!r} + '\\n')\n")
    result = subprocess.run([command, "--help"], cwd=str(trap), capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(trap)}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "apply" in result.stdout
    assert not (tmp_path / "imported").exists(), (tmp_path / "imported").read_text()
