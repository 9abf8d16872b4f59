"""bench/learned_quality_table.py: the convex hull of operating points and the rows picked."""

from __future__ import annotations

from bench.learned_quality_table import hull, pick_rows


def test_hull_drops_dominated_points_and_points_under_a_chord() -> None:
    pts = [(0.01, 20.0, (3, 1)), (0.02, 20.1, (3, 2)),      # (3, 2): under the chord
           (0.015, 19.0, (4, 1)),                           # dominated: more bits, less PSNR
           (0.04, 23.0, (1, 1)), (0.08, 24.0, (1, 2))]
    assert [p[2] for p in hull(pts)] == [(3, 1), (1, 1), (1, 2)]


def test_rows_follow_log_rate_and_rise_with_quality() -> None:
    pts = [(0.005 * 1.5 ** i, 20.0 + i, (1, 1 + i)) for i in range(12)]
    rows = pick_rows(hull(pts), 8)
    assert len(rows) == 8 and rows[0] == [1, 1] and rows[-1] == [1, 12]
    assert all(a[1] < b[1] for a, b in zip(rows, rows[1:], strict=False))
    few = pick_rows(hull(pts[:3]), 8)  # fewer hull points than rows: repeats, in order
    assert few[0] == [1, 1] and few[-1] == [1, 3] and sorted(few) == few
