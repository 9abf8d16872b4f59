"""Make the README pictures with the app itself, offscreen: docs/images/*.png.

    .venv/bin/python scripts/gui_screenshots.py [--out docs/images]

Encodes the shipped samples into a temporary archive (real OCR, real files), then shows the
main window, a decode in progress, the verification overlay, the archive and the region
selector, and saves each window as drawn by Qt.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ["web_git_config.png", "gimp_menus_light_and_shadow.png", "synth_chat_dark.png"]
SIZE = (1280, 820)


def wait(app, predicate, timeout_s: float = 120) -> None:
    """Run the event loop until `predicate()` is true."""
    import time

    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("timed out waiting for the app")
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="picd-shots-"))
    for name in ("CONFIG", "DATA", "CACHE"):
        os.environ[f"XDG_{name}_HOME"] = str(home / name.lower())

    from PIL import Image
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QApplication

    from picd_desktop.app.library import Library
    from picd_desktop.app.settings import Settings
    from picd_desktop.gui.app import app_icon
    from picd_desktop.gui.main_window import MainWindow
    from picd_desktop.gui.region_selector import RegionSelector
    from picd_desktop.gui.workers import to_qimage

    app = QApplication(sys.argv[:1])
    settings = Settings(archive_dir=str(home / "archive"))
    library = Library(settings.archive_path)
    added = [library.add(ROOT / "resources/samples" / name, name=Path(name).stem)
             for name in SAMPLES]
    print(f"encoded {len(added)} samples into {library.folder}")

    window = MainWindow(settings=settings, settings_path=home / "settings.json",
                        icon=app_icon())
    window.resize(*SIZE)
    window.show()
    window.start()
    state: dict = {}

    def save(name: str) -> None:
        path = args.out / f"{name}.png"
        window.grab().save(str(path))
        print("wrote", path)

    def on_preview(step: int, total: int) -> None:
        if "progress" not in state:
            state["progress"] = True
            save("decode_in_progress")

    window.previewed.connect(on_preview)
    window.verified.connect(lambda report: state.setdefault("verified", report))
    wait(app, lambda: window.device != "…")
    window.open_path(added[0].path)
    wait(app, lambda: "verified" in state)
    app.processEvents()
    window.viewer.fit()
    app.processEvents()
    save("overlay")
    window.act_overlay.trigger()  # overlay off: the plain render
    app.processEvents()
    save("main_window")

    window.show_archive()
    window.refresh_archive()
    wait(app, lambda: len(window.archive.visible_paths()) == len(added))
    app.processEvents()
    save("archive")
    window.archive.search_box.setText("config")
    app.processEvents()
    save("archive_search")

    grab = Image.open(ROOT / "resources/samples/web_git_config.png").convert("RGB")
    selector = RegionSelector(to_qimage(grab))  # what RegionSession shows on each screen
    selector.resize(grab.size[0], grab.size[1])
    selector.show()
    selector.set_selection(QRect(120, 160, 400, 140))
    app.processEvents()
    path = args.out / "region_selector.png"
    selector.grab().save(str(path))
    print("wrote", path)
    selector.close()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
