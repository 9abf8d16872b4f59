"""Frozen entry point shared by both bundled executables: `picd` (CLI) and `picd-desktop` (GUI).

Both executables in the bundle are built from this one script and one analysis, so they share
every library; the executable's own file name picks the entry point.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path


def _is_gui() -> bool:
    """True for the `picd-desktop` executable (also as `picd-desktop.exe` or inside a .app)."""
    return Path(sys.executable).stem.lower().startswith("picd-desktop")


def run() -> int:
    """Start the CLI or the GUI; returns its exit status."""
    multiprocessing.freeze_support()  # `picd encode --jobs N` uses spawn on Windows and macOS
    if _is_gui():
        from picd_desktop.gui.app import main
    else:
        from picd_desktop.cli import main
    return main()


if __name__ == "__main__":
    sys.exit(run())
