""""Reveal in folder": the command that shows a file in the platform's file manager."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def reveal_command(path: str | os.PathLike, platform: str | None = None) -> list[str]:
    """The argv that shows `path` in the file manager (the file selected where possible).

    Windows: Explorer with the file selected; macOS: Finder (`open -R`); elsewhere
    `xdg-open` on the folder (the freedesktop way; it cannot select the file).
    """
    platform = platform or sys.platform
    target = Path(path).absolute()
    if platform == "win32":
        return ["explorer", f"/select,{target}"]
    if platform == "darwin":
        return ["open", "-R", str(target)]
    return ["xdg-open", str(target.parent)]
