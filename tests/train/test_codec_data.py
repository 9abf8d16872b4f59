"""The learned codec's training cache: real OCR and cleaning, as at encode time, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from screens import render_screenshot

from picd_desktop.train.data import CropSampler, codec_sources, photo_candidates, prepare


def _photo_like(seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.linspace(40, 200, 320)[None, :, None] + rng.normal(0, 12, (240, 320, 3))
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def test_prepare_cleans_screens_marks_photos_and_resumes(tmp_path: Path) -> None:
    items = [("shot", render_screenshot(), "test screen"), ("noise", _photo_like(), "test photo")]
    entries = prepare(tmp_path, iter(items))
    shot, photo = entries
    assert (shot["name"], shot["photo"], photo["photo"]) == ("shot", False, True)
    assert shot["drawn"] > 0 and photo["words"] == 0
    cond = np.load(tmp_path / "shot.cond.npy")
    assert cond.shape == (*render_screenshot().size[::-1], 5) and cond[..., 3].any()
    assert not np.load(tmp_path / "noise.cond.npy").any()  # a photo without text: no condition
    cleaned = np.asarray(Image.open(tmp_path / "shot.png"))
    assert not np.array_equal(cleaned, np.asarray(render_screenshot()))  # the text is taken out
    assert json.loads((tmp_path / "manifest.json").read_text()) == entries
    stamp = (tmp_path / "shot.png").stat().st_mtime_ns
    assert prepare(tmp_path, iter(items)) == entries  # done images are not redone
    assert (tmp_path / "shot.png").stat().st_mtime_ns == stamp
    x, c = CropSampler(tmp_path, 64, seed=0).sample(3)
    assert x.shape == (3, 64, 64, 3) and c.shape == (3, 64, 64, 5)


def test_sources_leave_the_benchmark_out() -> None:
    with pytest.raises(ValueError, match="benchmark"):
        next(codec_sources(0, synth_seeds=(20251125,)))
    bench = json.loads((Path(__file__).parents[2] / "bench" / "set_manifest.json").read_text())
    used = {Path(e["source"].get("path", "")).name for e in bench["images"]}
    photos = photo_candidates()
    assert photos and not {p.name for p in photos} & used


def test_card_groups_sources_by_origin() -> None:
    from picd_desktop.train.base_codec import _source_group

    assert _source_group("/usr/share/gimp/2.0/help/en/images/a/b.png") == (
        "/usr/share/gimp/2.0/help/en")
    assert _source_group("/usr/share/doc/opencv-doc/examples/data/x.jpg") == (
        "/usr/share/doc/opencv-doc/examples/data")
    assert _source_group("bench/sources/synthetic.py seed 8") == (
        "bench/sources/synthetic.py seed 8")
