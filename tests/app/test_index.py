"""The FTS5 index: built from the files, kept fresh, rebuilt when broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from picd_desktop import api
from picd_desktop.app.index import Index, default_db_path, fts_query, hit_boxes
from picd_desktop.app.library import Library


@pytest.fixture
def archive(tmp_path: Path, picd_bytes: bytes) -> Library:
    library = Library(tmp_path / "archive")
    library.save(picd_bytes, "one")
    library.save(picd_bytes, "two")
    return library


def test_sync_then_search(archive: Library) -> None:
    index = Index(archive.folder)
    assert index.db_path == default_db_path(archive.folder)
    report = index.sync()
    assert (report.added, report.updated, report.removed) == (2, 0, 0)
    assert len(index.entries()) == 2
    hits = index.search("QUICK brow")
    assert sorted(h.entry.path.name for h in hits) == ["one.picd", "two.picd"]
    assert "[quick]" in hits[0].snippet.lower()
    assert index.search("zebra") == []
    assert index.search("   ") == []
    assert index.sync() == type(report)(0, 0, 0, ())  # nothing changed: nothing re-read


def test_stale_rows_follow_the_files(archive: Library, picd_bytes: bytes) -> None:
    index = Index(archive.folder)
    index.sync()
    one, two = archive.paths()
    two.unlink()
    one.write_bytes(picd_bytes[:60])  # changed size and mtime, and now broken
    report = index.sync()
    assert report.removed == 1 and [p.name for p, _ in report.errors] == ["one.picd"]
    assert index.entries() == []
    archive.save(picd_bytes, "three")
    assert index.sync().added == 1
    assert [h.entry.path.name for h in index.search("lazy dog")] == ["three.picd"]


def test_index_is_only_a_cache(archive: Library, tmp_path: Path) -> None:
    db = tmp_path / "cache" / "index.sqlite"
    Index(archive.folder, db).sync()
    db.write_bytes(b"this is not a database" * 100)
    index = Index(archive.folder, db)  # rebuilt from the files
    assert index.sync().added == 2
    assert len(index.search("folders")) == 2
    index.close()


def test_query_syntax_is_escaped(archive: Library) -> None:
    index = Index(archive.folder)
    index.sync()
    for query in ['"', "AND", "NEAR(", "a*b", "-x", "1,234", "'; drop table files"]:
        index.search(query)  # never an FTS syntax error
    assert fts_query('say "hi"') == '"say"* """hi"""*'
    assert len(index.search("1,234")) == 2


def test_hit_boxes_mark_matching_lines(archive: Library) -> None:
    layer = api.read_text(archive.paths()[0])
    boxes = hit_boxes(layer, "lazy dog")
    assert len(boxes) == 1
    line = next(line for line in layer.lines() if "lazy" in line.text)
    assert boxes[0] == line.box
    assert hit_boxes(layer, "") == []
