"""The archive folder: atomic unique adds, listing from headers, trash."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from screens import render_screenshot

from picd_desktop import api
from picd_desktop.app.library import Library, move_to_trash, png_size, read_entry, trash_dir
from picd_desktop.format.errors import WriteError


def test_add_encodes_and_records_png_size(tmp_path: Path) -> None:
    library = Library(tmp_path / "archive")
    stages: list[str] = []
    image = render_screenshot()
    added = library.add(image, quality=3, name="shot",
                        stage=lambda name, done, total: stages.append(name))
    assert added.path == tmp_path / "archive" / "shot.picd"
    assert stages[0] == "ocr" and stages[-1] == "write"
    assert added.png_bytes == png_size(image)
    assert added.file_bytes == added.path.stat().st_size < added.png_bytes
    entry = read_entry(added.path)
    assert (entry.width, entry.height) == image.size
    assert entry.png_bytes == added.png_bytes
    assert entry.saved_bytes == added.png_bytes - added.file_bytes
    assert entry.words > 10
    assert library.thumbnail(added.path).size[0] <= 160
    assert api.read_text(added.path).text.count("quick brown") == 1


def test_png_source_uses_its_own_size(tmp_path: Path, screenshot_png: Path) -> None:
    added = Library(tmp_path / "a").add(screenshot_png)
    assert added.png_bytes == screenshot_png.stat().st_size
    assert api.info(added.path).meta["source"] == "shot.png"


def test_save_never_overwrites(tmp_path: Path, picd_bytes: bytes) -> None:
    library = Library(tmp_path / "archive")
    first = library.save(picd_bytes, "capture")
    second = library.save(picd_bytes, "capture.picd")
    third = library.save(b"other", "capture")
    assert [p.name for p in (first, second, third)] == [
        "capture.picd", "capture-2.picd", "capture-3.picd"]
    assert first.read_bytes() == picd_bytes
    assert library.paths() == sorted([first, second, third])


def test_entries_skip_and_report_broken_files(tmp_path: Path, picd_bytes: bytes) -> None:
    library = Library(tmp_path)
    good = library.save(picd_bytes, "good")
    (tmp_path / "broken.picd").write_bytes(picd_bytes[:40])
    errors: list = []
    entries = library.entries(errors)
    assert [e.path for e in entries] == [good]
    assert [p.name for p, _ in errors] == ["broken.picd"]
    assert Library(tmp_path / "missing").entries() == []


def test_delete_moves_to_freedesktop_trash(tmp_path: Path, picd_bytes: bytes,
                                           xdg_home: Path) -> None:
    library = Library(tmp_path / "archive")
    path = library.save(picd_bytes, "gone")
    again = library.save(picd_bytes, "gone-elsewhere")
    trashed = library.delete(path)
    assert not path.exists()
    assert trashed == trash_dir() / "files" / "gone.picd"
    assert trash_dir() == xdg_home / "xdg-data" / "Trash"
    assert trashed.read_bytes() == picd_bytes
    info = (trash_dir() / "info" / "gone.picd.trashinfo").read_text()
    assert info.startswith("[Trash Info]\n")
    assert unquote(info.split("Path=")[1].split("\n")[0]) == str(path.resolve())
    assert "DeletionDate=" in info
    # a second file of the same name gets a free trash name
    again.rename(path)
    assert move_to_trash(path).name == "gone.2.picd"


def test_delete_refuses_non_files(tmp_path: Path) -> None:
    with pytest.raises(WriteError):
        move_to_trash(tmp_path / "nothing.picd")
