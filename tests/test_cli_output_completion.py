"""Shell completion as the README documents it: `_SKYCONF_COMPLETE=<shell>_source skyconf` writes a
script, and completing with it offers subcommand names and the options every command shares."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from skyconf.cli import main


def _complete(env: dict[str, str]) -> str:
    result = CliRunner().invoke(main, [], env=env, prog_name="skyconf")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F _skyconf_completion skyconf"), ("zsh", "#compdef skyconf"), ("fish", "complete")],
)
def test_each_shell_gets_a_completion_script(shell: str, marker: str) -> None:
    script = _complete({"_SKYCONF_COMPLETE": f"{shell}_source"})
    assert "_SKYCONF_COMPLETE" in script and marker in script


def test_a_subcommand_name_and_a_shared_option_complete() -> None:
    words = {"_SKYCONF_COMPLETE": "bash_complete"}
    assert _complete(words | {"COMP_WORDS": "skyconf pl", "COMP_CWORD": "1"}).splitlines() == ["plain,plan"]
    after = _complete(words | {"COMP_WORDS": "skyconf apply tenants/ --verb", "COMP_CWORD": "3"})
    assert after.splitlines() == ["plain,--verbose"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_with_the_sourced_script() -> None:
    """The script of `eval "$(_SKYCONF_COMPLETE=bash_source skyconf)"`, run in bash against the
    installed `skyconf` command."""
    installed = Path(sys.executable).parent / "skyconf"
    if not installed.exists():
        pytest.skip("the skyconf command is not installed beside this Python")
    script = (
        'eval "$(_SKYCONF_COMPLETE=bash_source skyconf)"\n'
        "COMP_WORDS=(skyconf sch); COMP_CWORD=1; _skyconf_completion skyconf\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = dict(os.environ, PATH=f"{installed.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["schema"]
