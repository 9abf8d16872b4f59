"""Lossless text-layer coder (`ctx-v1`): exact round trips, robustness, prior checks, size."""

from __future__ import annotations

import hashlib
import json
import lzma
import shutil
from functools import cache
from pathlib import Path

import brotli
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picd_desktop.format.errors import TextLayerError, UnknownModelError
from picd_desktop.text import charmodel
from picd_desktop.text.coder import (
    CODER_ID,
    CODER_SHA256,
    decode_layer,
    encode_layer,
    serialize_raw,
    validate_layer,
)
from picd_desktop.text.layer import Block, Line, TextLayer, Word

ENGLISH = """\
Settings
General Appearance Notifications Privacy and security Updates
Choose how the application looks. You can follow the system theme or pick a light or dark
theme for all windows. Changes are applied immediately and saved to your profile.
Automatically check for updates when the application starts
Download updates in the background and install them when you quit
Show a notification when a new version is available

Files
Name Size Type Modified
README.md 4.2 kB Markdown document Yesterday at 14:32
configuration.json 812 bytes JSON file Today at 09:15
screenshot-2024-03-18.png 1.4 MB PNG image 18 March 2024
The selected folder contains 24 items (3 hidden). Use the search field to filter the list by
name, or press Ctrl+F to search inside the files. Drag files onto the window to copy them
into the current folder; hold Shift to move them instead.

Error: the connection to the server was refused. Check that the server is running and that
the address and port are correct, then try again. If the problem persists, contact your
system administrator and include the following details in your message.
"""

NON_LATIN = ["日本語のテキスト", "中文文本", "한국어", "مرحبا بالعالم", "Привет", "мир",
             "👍🏽", "🎉✨", "ελληνικά", "עברית", "हिन्दी", "a", "é", "\u200d", "\U0010fffd"]


def layer_from_text(text: str, font_size: int = 14) -> TextLayer:
    """A plausible screenshot layer: lines of words with proportional widths."""
    blocks, y = [], 12
    for para in text.split("\n\n"):
        lines = []
        for i, row in enumerate(para.splitlines()):
            x, words = 24, []
            for j, w in enumerate(row.split()):
                width = len(w) * font_size * 55 // 100 + (i + j) % 3
                words.append(Word(w, x, x + width, drawn=(i * 7 + j) % 11 != 0))
                x += width + font_size * 3 // 10 + (j % 2)
            fg = (30, 30, 30) if i % 5 else (10, 90, 200)
            lines.append(Line(y, y + 18, y + 14, 2, font_size, fg, (255, 255, 255),
                              tuple(words)))
            y += 21
        blocks.append(Block(tuple(lines)))
        y += 14
    return TextLayer(1280, y, "eng", tuple(blocks))


@cache
def coded_sample(para: int) -> bytes:
    return encode_layer(layer_from_text(ENGLISH.split("\n\n")[para]))


def assert_valid(layer: TextLayer) -> None:
    validate_layer(layer)


coord = st.integers(0, 65535)
colour = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
word_text = st.one_of(
    st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)),
             min_size=1, max_size=10),
    st.sampled_from(NON_LATIN),
    st.sampled_from(["the", "File", "Edit", "x", "42", "—", "a b", "line\nbreak", " "]),
)
words = st.builds(Word, word_text, coord, coord, st.booleans())
lines = st.builds(Line, coord, coord, coord, st.integers(0, 63), st.integers(1, 1024), colour,
                  colour, st.lists(words, max_size=5).map(tuple))
blocks = st.builds(Block, st.lists(lines, max_size=4).map(tuple))
layers = st.builds(TextLayer, coord, coord, st.sampled_from(["eng", "", "deu+jpn", "ру"]),
                   st.lists(blocks, max_size=3).map(tuple))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers)
def test_arbitrary_layers_round_trip(layer: TextLayer) -> None:
    assert decode_layer(encode_layer(layer)) == layer


def test_empty_and_extreme_layers_round_trip() -> None:
    empty = TextLayer(0, 0, "eng", ())
    assert decode_layer(encode_layer(empty)) == empty
    hi, lo = 65535, 0
    extreme = TextLayer(hi, hi, "eng", (
        Block(()),
        Block((Line(hi, lo, hi, 63, 1024, (255, 0, 255), (0, 255, 0),
                    (Word("W", hi, lo), Word("😀", lo, hi, False), Word("i", hi, hi))),
               Line(lo, hi, lo, 0, 1, (0, 0, 0), (255, 255, 255), ()))),
    ))
    assert decode_layer(encode_layer(extreme)) == extreme


def test_english_layer_beats_brotli_and_xz() -> None:
    layer = layer_from_text(ENGLISH)
    coded = encode_layer(layer)
    assert decode_layer(coded) == layer
    raw = serialize_raw(layer)
    assert len(coded) < len(brotli.compress(raw, quality=11, lgwin=24))
    assert len(coded) < len(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))


def test_every_truncation_is_an_error_or_a_valid_layer() -> None:
    coded = coded_sample(0)
    for n in range(len(coded)):
        try:
            decoded = decode_layer(coded[:n])
        except TextLayerError:
            continue
        assert_valid(decoded)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_byte_flips_give_an_error_or_a_valid_layer(data: st.DataObject) -> None:
    coded = bytearray(coded_sample(1))
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(coded) - 1))
        coded[pos] ^= data.draw(st.integers(1, 255))
    try:
        decoded = decode_layer(bytes(coded))
    except TextLayerError:
        return
    assert_valid(decoded)


def test_trailing_garbage_and_bad_input_are_errors() -> None:
    coded = encode_layer(layer_from_text(ENGLISH.split("\n\n")[2]))
    for bad in (coded + b"\0", coded + b"garbage!", b"", b"\x07" + coded[1:]):
        with pytest.raises(TextLayerError):
            decode_layer(bad)
    with pytest.raises(TextLayerError):
        decode_layer("not bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [
    Line(0, 10, 8, 64, 12, (0, 0, 0), (255, 255, 255), (Word("a", 0, 5),)),
    Line(0, 10, 8, 1, 0, (0, 0, 0), (255, 255, 255), (Word("a", 0, 5),)),
    Line(0, 10, 8, 1, 12, (0, 0, 256), (255, 255, 255), (Word("a", 0, 5),)),
    Line(0, 65536, 8, 1, 12, (0, 0, 0), (255, 255, 255), (Word("a", 0, 5),)),
    Line(0, 10, 8, 1, 12, (0, 0, 0), (255, 255, 255), (Word("", 0, 5),)),
    Line(0, 10, 8, 1, 12, (0, 0, 0), (255, 255, 255), (Word("a\0b", 0, 5),)),
    Line(0, 10, 8, 1, 12, (0, 0, 0), (255, 255, 255), (Word("a", -1, 5),)),
])
def test_out_of_range_values_are_rejected_on_encode(bad: Line) -> None:
    with pytest.raises(ValueError):
        encode_layer(TextLayer(100, 100, "eng", (Block((bad,)),)))


def test_prior_hash_is_checked(tmp_path: Path) -> None:
    shipped = charmodel.default_prior_path()
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    card = json.loads((shipped.parent / "card.json").read_text())
    assert digest == charmodel.PRIOR_SHA256 == card["sha256"] == CODER_SHA256.hex()
    assert CODER_ID == "ctx-v1"
    assert shipped.stat().st_size <= 2 * 1024 * 1024
    copy = tmp_path / "prior.npz"
    shutil.copy(shipped, copy)
    with copy.open("r+b") as fh:
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 1]))
    with pytest.raises(UnknownModelError):
        charmodel.load_prior(copy)
    with pytest.raises(UnknownModelError):
        charmodel.load_prior(shipped, sha256="0" * 64)
    with pytest.raises(UnknownModelError):
        charmodel.load_prior(tmp_path / "missing.npz")


def test_model_frequencies_are_exact_integers() -> None:
    model = charmodel.TextModel(charmodel.shipped_prior())
    for b in "Hello, wörld".encode() + b"\0":
        freq = model.freqs()
        assert freq.dtype == np.int64 and int(freq.sum()) == charmodel.TOTAL
        assert int(freq.min()) >= 1
        model.update(b, b or 0x20)


def test_batch_model_equals_sequential_model() -> None:
    text = ENGLISH[:1500] + "\n日本語 テキスト Привет 👍🏽 x\ty"
    sym, hist = charmodel.text_to_streams(text)
    prior = charmodel.shipped_prior()
    batch = charmodel.batch_freqs(prior, sym, hist)
    model = charmodel.TextModel(prior)
    for i, (s, h) in enumerate(zip(sym.tolist(), hist.tolist(), strict=True)):
        assert np.array_equal(model.freqs(), batch[i]), f"differs at symbol {i}"
        model.update(s, h)


def test_sequential_encoder_path_gives_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = layer_from_text(ENGLISH.split("\n\n")[2])
    batch = encode_layer(layer)
    monkeypatch.setattr(charmodel, "BATCH_MAX", 8)
    assert encode_layer(layer) == batch
    assert decode_layer(batch) == layer
