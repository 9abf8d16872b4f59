"""Torch's thread count under OMP_THREAD_LIMIT (which PICD sets for Tesseract)."""

from __future__ import annotations

import os

import torch


def respect_omp_thread_limit() -> None:
    """Cap torch's threads at OMP_THREAD_LIMIT: asking OpenMP for more threads than that limit
    made conv backward (weight gradients) spin forever (measured here); OpenMP would run no
    more threads than the limit anyway."""
    limit = os.environ.get("OMP_THREAD_LIMIT", "")
    if limit.isdigit() and 0 < int(limit) < torch.get_num_threads():
        torch.set_num_threads(int(limit))
