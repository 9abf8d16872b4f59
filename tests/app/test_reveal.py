""""Show in folder": the command built for each platform (nothing is launched here)."""

from __future__ import annotations

from pathlib import Path

from picd_desktop.app.reveal import reveal_command


def test_reveal_command_per_platform(tmp_path: Path) -> None:
    path = tmp_path / "a b" / "capture.picd"
    assert reveal_command(path, "linux") == ["xdg-open", str(path.parent)]
    assert reveal_command(path, "darwin") == ["open", "-R", str(path)]
    assert reveal_command(path, "win32") == ["explorer", f"/select,{path}"]
    assert reveal_command("rel.picd", "linux") == ["xdg-open", str(Path.cwd())]
