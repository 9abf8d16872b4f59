"""Photos are told from screenshots; in a photo only confident words stay."""

from __future__ import annotations

import numpy as np
from PIL import Image
from screens import render_screenshot

from picd_desktop.text.ocr_types import OcrBlock, OcrLine, OcrPage, OcrWord
from picd_desktop.text.photo import confident_words, flat_share, is_photo_like


def _photo_like(seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.linspace(40, 200, 320)[None, :, None] + rng.normal(0, 12, (240, 320, 3))
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def test_screenshots_are_flat_photos_are_not() -> None:
    assert flat_share(render_screenshot()) > 0.5 and not is_photo_like(render_screenshot())
    assert flat_share(_photo_like()) < 0.1 and is_photo_like(_photo_like())
    assert flat_share(Image.new("RGB", (3, 3))) == 1.0  # too small to judge: not a photo


def test_confident_words_drops_the_rest_and_empty_lines() -> None:
    line = OcrLine((OcrWord("Kite", (0, 0, 30, 12), 93.0), OcrWord("~il", (40, 0, 60, 12), 41.0)),
                   (0, 0, 60, 12), 10, 6.0, (0, 0, 0), (255, 255, 255), 0.0, False)
    noise = OcrLine((OcrWord("ll", (0, 20, 9, 30), 30.0),), (0, 20, 9, 30), 28, 5.0, (0, 0, 0),
                    (255, 255, 255), 3.0, False)
    page = OcrPage(100, 40, "eng", (OcrBlock((line,)), OcrBlock((noise,))))
    kept = confident_words(page)
    assert [w.text for w in kept.words()] == ["Kite"] and len(kept.blocks) == 1
