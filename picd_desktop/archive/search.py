"""Full-text search over the text layers of `.picd` files, without decoding any image."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from picd_desktop.api import read_text
from picd_desktop.format.errors import PicdError
from picd_desktop.text.layer import Box


@dataclass(frozen=True)
class Hit:
    path: Path
    line: str
    box: Box


def iter_picd_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Every `.picd` file named or found (recursively) under the given paths, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.picd") if p.is_file())
        elif path.is_file():
            yield path


def query_terms(query: str) -> list[str]:
    """Lower-cased terms of a query (split on whitespace)."""
    return [t for t in query.casefold().split() if t]


def search(
    query: str, paths: Iterable[str | os.PathLike], errors: list[tuple[Path, str]] | None = None
) -> Iterator[Hit]:
    """Lines whose text contains every term of `query` (case-insensitive substrings).

    Unreadable files are skipped and reported in `errors` when given.
    """
    terms = query_terms(query)
    if not terms:
        return
    for path in iter_picd_files(paths):
        try:
            layer = read_text(path)
        except PicdError as exc:
            if errors is not None:
                errors.append((path, str(exc)))
            continue
        for line in layer.lines():
            folded = line.text.casefold()
            if all(t in folded for t in terms):
                yield Hit(path, line.text, line.box)


def highlight(text: str, query: str, start: str = "[", end: str = "]") -> str:
    """`text` with every occurrence of the query's terms wrapped in markers."""
    terms = query_terms(query)
    if not terms:
        return text
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    return pattern.sub(lambda m: f"{start}{m.group(0)}{end}", text)
