"""Search over text layers and verification of renders, on real encoded files."""

from __future__ import annotations

from pathlib import Path

import pytest
from screens import render_screenshot

from picd_desktop import api
from picd_desktop.archive.search import highlight, iter_picd_files, search
from picd_desktop.text.layer import Block, Line, TextLayer, Word
from picd_desktop.text.ocr_types import OcrBlock, OcrLine, OcrPage, OcrWord
from picd_desktop.verify import compare, verify_image


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    (folder / "a.picd").write_bytes(api.encode(render_screenshot()))
    (folder / "nested").mkdir()
    (folder / "nested" / "b.picd").write_bytes(api.encode(render_screenshot(dark=True)))
    (folder / "broken.picd").write_bytes(b"\x89PICD\r\n\x1a\x01")
    return folder


def test_search_all_terms_case_insensitive(archive: Path) -> None:
    errors: list = []
    hits = list(search("LAZY fox", [archive], errors))
    assert {h.path.name for h in hits} == {"a.picd", "b.picd"}
    assert all("lazy" in h.line.lower() and "fox" in h.line.lower() for h in hits)
    assert [p.name for p, _ in errors] == ["broken.picd"]
    assert list(search("fox zebra", [archive])) == []
    assert list(search("   ", [archive])) == []


def test_iter_files_sorted_and_recursive(archive: Path) -> None:
    names = [p.relative_to(archive).as_posix() for p in iter_picd_files([archive])]
    assert names == ["a.picd", "broken.picd", "nested/b.picd"]


def test_highlight() -> None:
    assert highlight("Save file now", "FILE") == "Save [file] now"
    assert highlight("a+b", "+") == "a[+]b"


def _layer(*words: str) -> TextLayer:
    xs = [(i * 60, i * 60 + 50) for i in range(len(words))]
    line = Line(10, 30, 26, 0, 16, (0, 0, 0), (255, 255, 255),
                tuple(Word(w, a, b) for w, (a, b) in zip(words, xs, strict=True)))
    return TextLayer(400, 60, "eng", (Block((line,)),))


def _page(*words: tuple[str, int]) -> OcrPage:
    found = tuple(OcrWord(text, (x, 11, x + 48, 29), 90.0) for text, x in words)
    line = OcrLine(found, (0, 10, 400, 30), 26, 8.0, (0, 0, 0), (255, 255, 255), 0.0, False)
    return OcrPage(400, 60, "eng", (OcrBlock((line,)),))


def test_compare_statuses() -> None:
    report = compare(_layer("alpha", "beta", "gamma"), _page(("alpha", 0), ("bcta", 60)))
    assert [c.status for c in report.checks] == ["verified", "mismatch", "missing"]
    assert report.checks[1].found == "bcta"
    assert (report.verified, report.total) == (1, 3)
    assert report.to_json()["accuracy"] == pytest.approx(1 / 3, abs=1e-4)


def test_verify_real_render_and_blank_image() -> None:
    data = api.encode(render_screenshot())
    layer = api.read_text(data)
    good = verify_image(api.decode(data), layer)
    assert good.drawn_total > 0 and good.drawn_verified >= 0.9 * good.drawn_total
    from PIL import Image

    blank = verify_image(Image.new("RGB", (720, 360), "white"), layer)
    assert blank.verified == 0 and {c.status for c in blank.checks} == {"missing"}
