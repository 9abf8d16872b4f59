"""Linux desktop integration (installer/linux): install into a temporary HOME, check the
MIME type and default application through xdg-mime, uninstall, check nothing is left.

The bundle here is a stand-in folder with two tiny executables: this test is about the
desktop integration; tests/installer/test_bundle.py runs the real bundle.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from picd_desktop import api

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "installer" / "linux"
TOOLS = ("xdg-mime", "update-mime-database", "update-desktop-database", "gio")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"{', '.join(MISSING)} missing (apt-get install xdg-utils shared-mime-info "
    "desktop-file-utils libglib2.0-bin)",
)


def fake_bundle(tmp_path: Path) -> Path:
    """A folder shaped like the bundle: executables `picd` and `picd-desktop`."""
    bundle = tmp_path / "bundle"
    bundle.mkdir(parents=True)
    for name in ("picd", "picd-desktop"):
        exe = bundle / name
        exe.write_text(f"#!/bin/sh\necho {name} 0\n")
        exe.chmod(0o755)
    return bundle


def user_env(home: Path) -> dict[str, str]:
    """A desktop session of a user whose HOME is `home`. XDG_CURRENT_DESKTOP=GNOME makes
    `xdg-mime query filetype` ask GIO (shared-mime-info); its generic path runs `file`,
    which knows no user-installed types."""
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_DIRS="/usr/local/share:/usr/share", XDG_CONFIG_DIRS="/etc/xdg",
               XDG_CURRENT_DESKTOP="GNOME", GIO_USE_VFS="local")
    return env


def run(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}): {proc.stderr}"
    return proc.stdout.strip()


def tree(root: Path) -> set[str]:
    """Every path under `root` (files, links, folders), relative."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def query(env: dict[str, str], *args: str) -> str:
    return run(["xdg-mime", "query", *args], env)


def test_install_associates_picd_and_uninstall_leaves_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = user_env(home)
    sample = tmp_path / "docs" / "sample.picd"
    sample.parent.mkdir()
    sample.write_bytes(api.encode(Image.new("RGB", (64, 48), (240, 240, 240)), lossless=True))
    no_ext = sample.with_name("sample-without-extension")
    shutil.copy(sample, no_ext)
    assert query(env, "filetype", str(sample)) != "application/x-picd"  # not known yet

    out = run([str(LINUX / "install.sh"), "--bundle", str(fake_bundle(tmp_path))], env)
    assert "installed PICD Desktop" in out

    assert query(env, "filetype", str(sample)) == "application/x-picd"
    assert query(env, "filetype", str(no_ext)) == "application/x-picd"  # magic bytes
    assert query(env, "default", "application/x-picd") == "picd-desktop.desktop"

    data = home / ".local/share"
    desktop = data / "applications/picd-desktop.desktop"
    exec_line = next(x for x in desktop.read_text().splitlines() if x.startswith("Exec="))
    app = Path(exec_line.split("=", 1)[1].split()[0])
    assert app.is_absolute() and os.access(app, os.X_OK)
    assert run([str(home / ".local/bin/picd"), "--version"], env) == "picd 0"
    if shutil.which("desktop-file-validate"):
        run(["desktop-file-validate", str(desktop)], env)
    for size in ("16x16", "48x48", "256x256", "scalable"):
        ext = "svg" if size == "scalable" else "png"
        assert (data / f"icons/hicolor/{size}/apps/picd-desktop.{ext}").is_file()
        assert (data / f"icons/hicolor/{size}/mimetypes/application-x-picd.{ext}").is_file()
    assert "application/x-picd=picd-desktop.desktop" in (home / ".config/mimeapps.list").read_text()

    # Reinstalling (an upgrade) works and still uninstalls cleanly.
    run([str(LINUX / "install.sh"), "--bundle", str(fake_bundle(tmp_path / "v2"))], env)
    run([str(LINUX / "uninstall.sh")], env)
    assert tree(home) == set()
    assert query(env, "filetype", str(sample)) != "application/x-picd"


def test_uninstall_keeps_what_was_there_before(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = user_env(home)
    other_type = home / ".local/share/mime/packages/other-app.xml"
    other_type.parent.mkdir(parents=True)
    other_type.write_text(
        '<?xml version="1.0"?>\n<mime-info xmlns="http://www.freedesktop.org/standards/'
        'shared-mime-info"><mime-type type="application/x-other"><glob pattern="*.oth"/>'
        "</mime-type></mime-info>\n")
    run(["update-mime-database", str(other_type.parents[1])], env)
    other_app = home / ".local/share/applications/other.desktop"
    other_app.parent.mkdir(parents=True)
    other_app.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=true %f\n"
                         "MimeType=application/x-other;\n")
    run(["update-desktop-database", str(other_app.parent)], env)
    mimeapps = home / ".config/mimeapps.list"
    mimeapps.parent.mkdir(parents=True)
    mimeapps.write_text("[Default Applications]\napplication/x-other=other.desktop\n")
    before = tree(home)

    run([str(LINUX / "install.sh"), "--bundle", str(fake_bundle(tmp_path))], env)
    assert query(env, "default", "application/x-picd") == "picd-desktop.desktop"
    run([str(LINUX / "uninstall.sh")], env)

    assert tree(home) == before
    assert "picd" not in (other_app.parent / "mimeinfo.cache").read_text()
    assert "application/x-picd" not in mimeapps.read_text()
    assert "application/x-other=other.desktop" in mimeapps.read_text()
    oth = home / "file.oth"
    oth.write_text("x")
    assert query(env, "filetype", str(oth)) == "application/x-other"
    assert query(env, "default", "application/x-picd") == ""
