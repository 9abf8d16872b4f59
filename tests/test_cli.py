"""The `picd` command line end to end, as a user runs it (subprocesses, real files)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from screens import render_screenshot

from picd_desktop.cli import main


def picd(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "picd_desktop.cli", *args],
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shots")
    render_screenshot().save(folder / "light.png")
    render_screenshot(dark=True).save(folder / "dark.png")
    (folder / "sub").mkdir()
    render_screenshot(640, 300).save(folder / "sub" / "small.png")
    return folder


def test_encode_decode_info_text_verify(shots: Path, tmp_path: Path) -> None:
    out = tmp_path / "light.picd"
    picd("encode", str(shots / "light.png"), "-o", str(out))
    assert out.stat().st_size < (shots / "light.png").stat().st_size

    png = tmp_path / "light.png"
    picd("decode", str(out), "-o", str(png))
    assert Image.open(png).size == (720, 360)

    info = json.loads(picd("info", "--json", str(out)).stdout)
    assert info["size"] == [720, 360] and info["words"] > 10
    assert info["meta"]["source"] == "light.png"

    assert "quick brown fox" in picd("text", str(out)).stdout
    words = json.loads(picd("text", "--json", str(out)).stdout)["lines"][0]["words"]
    assert all({"text", "box", "drawn"} <= set(w) for w in words)

    report = json.loads(picd("verify", str(out)).stdout)
    assert report["words"] > 10 and report["drawn_verified"] >= 0.9 * report["drawn_words"]


def test_codecs_lists_and_encode_takes_a_base_codec(shots: Path, tmp_path: Path) -> None:
    listing = picd("codecs").stdout.splitlines()
    bases = [line.split()[1] for line in listing if line.startswith("base ")]
    assert "lossless-v1" not in bases and any("(default)" in line for line in listing)
    learned = max(b for b in bases if b.startswith("learned-"))
    out = tmp_path / "learned.picd"
    picd("encode", str(shots / "light.png"), "-o", str(out),
         "--base", learned)
    assert json.loads(picd("info", "--json", str(out)).stdout)["components"]["base"] == learned
    bad = picd("encode", str(shots / "light.png"), "-o", str(tmp_path / "x.picd"),
               "--base", "nope-v1", check=False)
    assert bad.returncode == 2 and "unknown base codec" in bad.stderr
    assert not (tmp_path / "x.picd").exists()


def test_never_overwrites_without_force(shots: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.picd"
    picd("encode", str(shots / "light.png"), "-o", str(out))
    # the same source again: resumable, so it is skipped, not overwritten
    assert main(["encode", str(shots / "light.png"), "-o", str(out)]) == 0
    # a different source onto an existing file: refused
    result = picd("encode", str(shots / "dark.png"), "-o", str(out), check=False)
    assert result.returncode == 1 and "exists" in result.stderr
    picd("encode", str(shots / "dark.png"), "-o", str(out), "--force")
    png = tmp_path / "x.png"
    png.write_bytes(b"keep me")
    result = picd("decode", str(out), "-o", str(png), check=False)
    assert result.returncode == 1 and png.read_bytes() == b"keep me"


def test_search_finds_words_without_decoding(shots: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    picd("encode", str(shots), "-o", str(archive), "--jobs", "2")
    assert sorted(p.name for p in archive.rglob("*.picd")) == ["dark.picd", "light.picd",
                                                               "small.picd"]
    hits = picd("search", "lazy dog", str(archive)).stdout.splitlines()
    assert len(hits) == 3 and all("[lazy]" in h.lower() for h in hits)
    none = picd("search", "zebra", str(archive), check=False)
    assert none.returncode == 1 and none.stdout == ""


@pytest.mark.slow
def test_killed_batch_resumes(tmp_path: Path) -> None:
    shots = tmp_path / "batch"
    shots.mkdir()
    for i in range(8):  # enough work that the batch cannot finish while this test polls
        render_screenshot(720 + 40 * i, 360, dark=bool(i % 2)).save(shots / f"shot{i}.png")
    archive = tmp_path / "archive"
    proc = subprocess.Popen([sys.executable, "-m", "picd_desktop.cli", "encode", str(shots),
                             "-o", str(archive)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(archive.rglob("*.picd")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    first = {p: p.stat().st_mtime_ns for p in archive.rglob("*.picd")}
    assert 1 <= len(first) < 8
    assert not [p for p in archive.rglob("*") if p.is_file() and p.suffix != ".picd"]
    result = picd("encode", str(shots), "-o", str(archive))
    assert f"{len(first)} skipped" in result.stderr
    assert len(list(archive.rglob("*.picd"))) == 8
    assert all(p.stat().st_mtime_ns == t for p, t in first.items())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["decode", "missing.picd"], "error"),
        (["info", "README.md"], "error"),
        (["encode", "README.md", "-o", "x.picd"], "not a supported image"),
        (["encode", "nothing-here", "-o", "out"], "no such file"),
    ],
)
def test_bad_input_gives_clear_errors(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).parents[1])
    result = picd(*[a if a != "x.picd" else str(tmp_path / a) for a in args], check=False)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
