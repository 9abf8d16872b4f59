"""The ink mask coder: exact round trips for any shapes and levels, prediction as context."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from picd_desktop.base import maskcoder
from picd_desktop.format.errors import BaseLayerError


@st.composite
def mask_sets(draw):
    bits = draw(st.sampled_from([1, 2]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shapes = draw(st.lists(st.tuples(st.integers(1, 24), st.integers(1, 40)), min_size=1,
                           max_size=6))
    density = draw(st.floats(0.0, 1.0))
    masks = [(rng.random(s) < density).astype(np.uint8) * rng.integers(0, 1 << bits, s)
             .astype(np.uint8) for s in shapes]
    preds = [rng.integers(0, 256, s).astype(np.uint8) for s in shapes]
    return bits, masks, preds


@settings(max_examples=60, deadline=None)
@given(mask_sets())
def test_round_trip_is_exact(case) -> None:
    bits, masks, preds = case
    data = maskcoder.encode(masks, preds, bits)
    back = maskcoder.decode(data, [m.shape for m in masks], preds, bits)
    assert all(np.array_equal(a, b) for a, b in zip(masks, back, strict=True))


def _glyph_like(rng: np.random.Generator, shape=(16, 90)) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    for x in range(4, shape[1] - 6, 8):  # letters: stems and bars
        m[3:13, x:x + 2] = 1
        m[3:5, x:x + 5] = rng.integers(0, 2)
        m[11:13, x:x + 5] = 1
    return m


def test_good_prediction_costs_less_than_none() -> None:
    rng = np.random.default_rng(1)
    masks = [_glyph_like(rng) for _ in range(30)]
    exact = [m * 255 for m in masks]
    blank = [np.zeros_like(m) for m in masks]
    with_pred = len(maskcoder.encode(masks, exact, 1))
    without = len(maskcoder.encode(masks, blank, 1))
    assert with_pred < 0.5 * without


def test_wrong_prediction_or_garbage_gives_other_masks_or_errors() -> None:
    rng = np.random.default_rng(2)
    masks = [_glyph_like(rng) for _ in range(5)]
    preds = [m * 255 for m in masks]
    data = maskcoder.encode(masks, preds, 1)
    with pytest.raises(BaseLayerError):
        maskcoder.decode(data[:-1], [m.shape for m in masks], preds, 1)
    back = maskcoder.decode(data, [m.shape for m in masks], [np.zeros_like(p) for p in preds], 1)
    assert not all(np.array_equal(a, b) for a, b in zip(masks, back, strict=True))
