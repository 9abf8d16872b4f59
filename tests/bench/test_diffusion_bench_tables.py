"""The paired table of bench/diffusion_bench.py: per-image differences, better/worse counts."""

from __future__ import annotations

import math

from bench.diffusion_bench import paired_lines


def _row(image: str, variant: str, psnr: float, fd_l2: float, word_acc: float) -> dict:
    return {"image": image, "set": "screens", "quality": 1, "variant": variant, "psnr": psnr,
            "ms_ssim": 0.9, "text_acc": math.nan, "word_acc": word_acc, "wrong_conf": 0.0,
            "fd_l2": fd_l2}


def test_paired_table_counts_better_and_worse_by_direction() -> None:
    rows = [_row("a", "composite", 20.0, 2.0, 0.9), _row("a", "diffusion", 21.0, 1.5, 0.8),
            _row("b", "composite", 30.0, 1.0, 1.0), _row("b", "diffusion", 29.0, 1.5, 1.0),
            _row("c", "diffusion", 99.0, 0.0, 1.0)]  # no composite row: left out
    line = paired_lines(rows)[-1]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[:3] == ["screens", "1", "2"]
    psnr, ms_ssim, text_acc, word_acc, wrong_conf, fd_l2 = cells[3:]
    assert psnr == "+0.0000 (1/1)"
    assert ms_ssim == "+0.0000 (0/0)"
    assert text_acc == "-"  # no words: nan everywhere
    assert word_acc == "-0.0500 (0/1)"
    assert fd_l2 == "+0.0000 (1/1)"  # lower is better: a is better, b is worse
    assert wrong_conf == "+0.0000 (0/0)"
