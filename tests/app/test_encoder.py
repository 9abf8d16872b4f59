"""The encoder child process: same bytes as in-process, typed errors, cancel kills it (and
Tesseract) at once, a fresh child replaces it, a memory cap gives MemoryError."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image
from screens import render_screenshot

from picd_desktop import api
from picd_desktop.app.encoder import EncodeJob, EncoderProcess
from picd_desktop.format.errors import Cancelled, OcrUnavailableError


@pytest.fixture(scope="module")
def encoder() -> Iterator[EncoderProcess]:
    proc = EncoderProcess()
    proc.warm()
    yield proc
    proc.close()


def _group_alive(pgid: int) -> bool:
    """Any live (non-zombie) process in process group `pgid`."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def test_child_encodes_like_the_api(encoder: EncoderProcess) -> None:
    image = render_screenshot(320, 120)
    stages: list[tuple] = []
    data, png = encoder.encode(EncodeJob(image, 3, "eng"), stage=lambda *a: stages.append(a))
    assert [s[0] for s in stages] == ["ocr", "base", "write", "write"]
    assert api.read_text(data).text == api.read_text(api.encode(image, quality=3)).text
    assert api.info(data).meta["png_bytes"] == png > 0


def test_child_uses_the_chosen_base_codec(encoder: EncoderProcess) -> None:
    learned = max(i for i in api.base_codecs() if i.startswith("learned-"))
    data, _ = encoder.encode(EncodeJob(render_screenshot(320, 120), 3, "eng", base=learned))
    assert api.info(data).components["base"] == learned


def test_errors_keep_their_type(encoder: EncoderProcess) -> None:
    with pytest.raises(OcrUnavailableError, match="zzz"):
        encoder.encode(EncodeJob(render_screenshot(200, 80), 3, "zzz"))
    assert encoder.alive()


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")
def test_cancel_kills_the_child_and_tesseract_at_once(encoder: EncoderProcess) -> None:
    image = render_screenshot(1920, 1080)
    old = encoder.pid
    assert old is not None
    in_ocr = threading.Event()
    cancel = threading.Event()

    def stage(name: str, *_: int) -> None:
        if name == "ocr":
            in_ocr.set()
            threading.Timer(0.5, cancel.set).start()  # Tesseract is running by then

    start = time.monotonic()
    with pytest.raises(Cancelled):
        encoder.encode(EncodeJob(image, 3, "eng"), stage=stage, cancel=cancel.is_set)
    assert in_ocr.is_set()
    assert time.monotonic() - start < 3.0  # a 1080p encode takes 2-4 s; OCR alone > 1 s
    assert not _group_alive(old)  # the child and its Tesseract are gone
    assert encoder.pid not in (None, old)  # a fresh child is already warming
    data, _ = encoder.encode(EncodeJob(render_screenshot(200, 80), 3, "eng"))
    assert api.info(data).width == 200


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_memory_cap_gives_memory_error() -> None:
    capped = EncoderProcess(memory_limit_mb=64)
    try:
        with pytest.raises(MemoryError) as raised:  # raised in the child, sent back
            capped.encode(EncodeJob(Image.new("L", (8000, 8000), 255), 3, "eng"))
        assert "killed" not in str(raised.value)
        assert capped.alive()  # the child survives its MemoryError
    finally:
        capped.close()
