"""installer/launcher.py: the one frozen entry point picks the CLI or the GUI by the
executable's own file name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parents[2] / "installer" / "launcher.py"


@pytest.fixture
def launcher():
    spec = importlib.util.spec_from_file_location("picd_launcher", LAUNCHER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("executable", "gui"), [
    ("/opt/picd-desktop/picd-desktop", True),
    ("/Applications/PICD Desktop.app/Contents/MacOS/picd-desktop", True),
    ("/opt/picd-desktop/picd", False),
    ("/usr/bin/python3", False),
])
def test_dispatch_by_executable_name(launcher, monkeypatch, executable: str, gui: bool) -> None:
    monkeypatch.setattr(sys, "executable", executable)
    assert launcher._is_gui() is gui


def test_cli_entry_runs(launcher, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "executable", "/opt/picd-desktop/picd")
    monkeypatch.setattr(sys, "argv", ["picd", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        launcher.run()
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("picd ")
