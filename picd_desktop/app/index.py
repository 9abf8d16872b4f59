"""SQLite FTS5 index over the archive's text layers: a cache, rebuilt from the files.

The `.picd` files are the only real copy; the index can be deleted at any time. `sync()`
re-reads files that are new or whose mtime/size changed and drops rows of vanished files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from picd_desktop import api
from picd_desktop.app.library import Entry, read_entry
from picd_desktop.app.settings import APP_NAME
from picd_desktop.archive.search import query_terms
from picd_desktop.format.errors import PicdError
from picd_desktop.text.layer import Box, TextLayer

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL, created_ms INTEGER NOT NULL, width INTEGER NOT NULL,
    height INTEGER NOT NULL, png_bytes INTEGER, words INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS texts USING fts5(body, tokenize='unicode61');
"""


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    removed: int
    errors: tuple[tuple[Path, str], ...]


@dataclass(frozen=True)
class SearchHit:
    entry: Entry
    snippet: str


def default_db_path(folder: str | os.PathLike) -> Path:
    """The cache file for an archive folder (one per folder, in the user cache dir)."""
    key = hashlib.sha1(str(Path(folder).expanduser().resolve()).encode()).hexdigest()[:16]
    return Path(user_cache_dir(APP_NAME)) / f"index-{key}.sqlite"


class Index:
    """Full-text index of one archive folder."""

    def __init__(self, folder: str | os.PathLike, db_path: str | os.PathLike | None = None):
        self.folder = Path(folder).expanduser()
        self.db_path = Path(db_path) if db_path is not None else default_db_path(self.folder)
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.DatabaseError:  # corrupt or foreign file: it is only a cache
            self.db_path.unlink(missing_ok=True)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, check_same_thread=False)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                db.executescript("DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS texts;")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    def sync(self) -> SyncReport:
        """Bring the index up to date with the folder."""
        known = {row[1]: row for row in self._db.execute(
            "SELECT id, path, mtime_ns, size FROM files")}
        added = updated = 0
        errors: list[tuple[Path, str]] = []
        present: set[str] = set()
        paths = sorted(self.folder.glob("*.picd")) if self.folder.is_dir() else []
        for path in paths:
            try:
                st = path.stat()
            except OSError:
                continue
            key = str(path)
            present.add(key)
            row = known.get(key)
            if row is not None and row[2] == st.st_mtime_ns and row[3] == st.st_size:
                continue
            try:
                entry, text = read_entry(path), api.read_text(path).text
            except (PicdError, OSError) as exc:
                errors.append((path, str(exc)))
                if row is not None:
                    self._delete(row[0])
                continue
            if row is not None:
                self._delete(row[0])
                updated += 1
            else:
                added += 1
            self.insert(entry, text, st.st_mtime_ns)
        gone = [row for key, row in known.items() if key not in present]
        for row in gone:
            self._delete(row[0])
        self._db.commit()
        return SyncReport(added, updated, len(gone), tuple(errors))

    def insert(self, entry: Entry, text: str, mtime_ns: int) -> None:
        """Add one row (the caller commits; `sync` is the usual way in)."""
        cur = self._db.execute(
            "INSERT OR REPLACE INTO files (path, mtime_ns, size, created_ms, width, height,"
            " png_bytes, words) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(entry.path), mtime_ns, entry.file_bytes, entry.created_ms, entry.width,
             entry.height, entry.png_bytes, entry.words))
        self._db.execute("INSERT INTO texts (rowid, body) VALUES (?, ?)", (cur.lastrowid, text))

    def commit(self) -> None:
        self._db.commit()

    def _delete(self, rowid: int) -> None:
        self._db.execute("DELETE FROM files WHERE id = ?", (rowid,))
        self._db.execute("DELETE FROM texts WHERE rowid = ?", (rowid,))

    def entries(self) -> list[Entry]:
        """Every indexed entry (call `sync` first for a fresh view)."""
        rows = self._db.execute(f"SELECT {_ENTRY_COLUMNS} FROM files ORDER BY created_ms DESC")
        return [_entry(row) for row in rows]

    def search(self, query: str, limit: int = 1000) -> list[SearchHit]:
        """Entries whose text contains every term of `query` (prefix match, any case)."""
        match = fts_query(query)
        if not match:
            return []
        rows = self._db.execute(
            f"SELECT {_ENTRY_COLUMNS}, snippet(texts, 0, '[', ']', '…', 8) FROM texts"
            " JOIN files ON files.id = texts.rowid WHERE texts MATCH ? ORDER BY rank LIMIT ?",
            (match, limit))
        return [SearchHit(_entry(row[:-1]), row[-1]) for row in rows]


_ENTRY_COLUMNS = "files.path, size, created_ms, width, height, png_bytes, words"


def _entry(row: tuple) -> Entry:
    path, size, created, width, height, png, words = row
    return Entry(Path(path), size, created, width, height, png, words)


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression: every term as a quoted prefix, ANDed."""
    terms = [t.replace('"', '""') for t in query_terms(query)]
    return " ".join(f'"{t}"*' for t in terms if t.strip('"'))


def hit_boxes(layer: TextLayer, query: str) -> list[Box]:
    """Boxes of the lines of `layer` that contain every term of `query` (prefix of a word)."""
    terms = query_terms(query)
    if not terms:
        return []
    boxes = []
    for line in layer.lines():
        words = [w.text.casefold() for w in line.words]
        if all(any(t in w for w in words) for t in terms):
            boxes.append(line.box)
    return boxes
