"""Bjontegaard delta rate in bench/learned_vs_classic.py: known answers on made-up curves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.learned_vs_classic import bd_rate, bd_rate_linear, frontier


def test_half_the_rate_everywhere_is_minus_50_percent() -> None:
    rates = [0.01, 0.02, 0.05, 0.1, 0.2]
    psnr = [20.0, 22.0, 25.0, 27.0, 30.0]
    half = [r / 2 for r in rates]
    assert bd_rate(rates, psnr, half, psnr) == pytest.approx(-50.0, abs=1e-6)
    assert bd_rate_linear(rates, psnr, half, psnr) == pytest.approx(-50.0, abs=1e-6)
    assert bd_rate_linear(half, psnr, rates, psnr) == pytest.approx(100.0, abs=1e-6)


def test_linear_bd_works_on_three_points_where_the_cubic_cannot() -> None:
    ref = ([0.01, 0.04, 0.1, 0.15], [20.0, 23.0, 27.0, 30.0])
    new = ([0.02, 0.08, 0.2], [20.0, 23.0, 27.0])
    assert math.isnan(bd_rate(*ref, *new))
    assert bd_rate_linear(*ref, *new) == pytest.approx(100.0, abs=1e-6)
    assert math.isnan(bd_rate_linear(*ref, [0.1, 0.2], [31.0, 32.0]))  # no common range


def test_dominated_points_are_dropped() -> None:
    rates, psnr = frontier([0.3, 0.1, 0.2, 0.4], [23.7, 23.0, 23.8, 23.6])
    assert rates.tolist() == [0.1, 0.2] and psnr.tolist() == [23.0, 23.8]
    assert np.all(np.diff(psnr) > 0)
