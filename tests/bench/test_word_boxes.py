"""Tests of bench/word_boxes.py (word-box text accuracy) with real Tesseract."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from screens import _font, render_screenshot

from bench.word_boxes import (
    boxed_reference,
    boxed_word_scores,
    read_boxes,
)


@pytest.mark.parametrize("dark", [False, True])
def test_original_reads_itself(dark: bool) -> None:
    original = render_screenshot(dark=dark)
    ref = boxed_reference(original)
    assert len(ref.words) >= 15
    assert sum(ref.readable) >= 0.8 * len(ref.words)
    assert "quick" in ref.words and all(len(w) >= 2 for w in ref.words)
    assert boxed_word_scores(ref, original).accuracy == 1.0


def test_a_wrong_word_counts_wrong_and_a_level_shift_does_not() -> None:
    original = render_screenshot()
    ref = boxed_reference(original)
    i = ref.words.index("quick")
    assert ref.readable[i]
    left, top, right, bottom = ref.boxes[i]
    wrong = original.copy()
    draw = ImageDraw.Draw(wrong)
    draw.rectangle((left, top, right - 1, bottom - 1), fill=(250, 250, 250))
    draw.text((left + 2, top + 1), "trick", font=_font(16), fill=(20, 20, 20))
    assert read_boxes(wrong, ref)[i][0] == "trick"
    score = boxed_word_scores(ref, wrong)
    assert score.accuracy == pytest.approx(1 - 1 / sum(ref.readable))
    # a clean, wrong word is the first principle's failure: counted as confidently wrong
    assert score.confident_wrong == pytest.approx(1 / sum(ref.readable))
    shifted = Image.fromarray(np.clip(np.asarray(original, np.int16) - 2, 0, 255)
                              .astype(np.uint8))
    assert boxed_word_scores(ref, shifted).accuracy == 1.0


def test_blur_loses_words_and_no_text_is_nan() -> None:
    original = render_screenshot()
    ref = boxed_reference(original)
    blurred = original.filter(ImageFilter.GaussianBlur(2.5))
    score = boxed_word_scores(ref, blurred)
    assert score.accuracy < 0.5 and score.confident_wrong < 0.1
    assert boxed_word_scores(ref, original).confident_wrong == 0
    blank = Image.new("RGB", (320, 200), "white")
    assert np.isnan(boxed_word_scores(boxed_reference(blank), blank).accuracy)
