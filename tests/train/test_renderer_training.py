"""The renderer's data preparation and training script end to end (real encoder, tiny model)."""

from __future__ import annotations

import json

import pytest
from screens import render_screenshot

from picd_desktop.render.diffusion.weights import (
    DEFAULT_MODEL,
    export_checkpoint,
    load_render_net_from,
)
from picd_desktop.train import render_data, renderer


@pytest.mark.slow
def test_prepare_train_smoke_resume_and_export(tmp_path):
    cache = tmp_path / "cache"
    items = [(f"shot{i}", render_screenshot(dark=bool(i)), "tests/screens.py") for i in range(12)]
    entries = render_data.prepare(cache, iter(items), qualities=(1, 3))
    assert len(entries) == 12 and entries[0]["domain"] == "screen"
    assert (cache / "shot0.q3.base.png").exists() and (cache / "shot0.glyph.png").exists()
    # resumable: a second call does no work and keeps the manifest
    assert render_data.prepare(cache, iter(items), qualities=(1, 3)) == entries

    out = tmp_path / "run"
    renderer.main([str(cache), str(out), "--smoke"])
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 3 and log[-1]["val_psnr"] > 0
    renderer.main([str(cache), str(out), "--smoke"])  # resumes: already at 3 steps
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 3

    folder = export_checkpoint(out / "ckpt.pt", "smoke", cache=cache, out_root=tmp_path)
    card = json.loads((folder / "card.json").read_text())
    assert card["training"]["steps"] == 3 and card["training"]["data"]["images"] == 12
    net = load_render_net_from(folder)
    assert net.cfg.widths == (8, 16, 16)

    # fine-tuning the shipped model with the trajectory objective and the l2 loss is recorded
    tuned = tmp_path / "tuned"
    renderer.main([str(cache), str(tuned), "--init", DEFAULT_MODEL, "--objective", "trajectory",
                   "--loss", "l2", "--max-steps", "1", "--batch", "2", "--crop", "64"])
    log = [json.loads(line) for line in (tuned / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 1 and log[-1]["sample_psnr"] > 0
    card = json.loads((export_checkpoint(tuned / "ckpt.pt", "tuned", cache=cache,
                                         out_root=tmp_path) / "card.json").read_text())
    assert card["training"]["objective"] == "trajectory" and card["training"]["loss"] == "l2"
    assert card["training"]["started_from"].startswith(f"{DEFAULT_MODEL} (")
