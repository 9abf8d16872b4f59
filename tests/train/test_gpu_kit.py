"""scripts/gpu_kit.py: the data carried to a GPU machine comes back bit-identical, and the
checkpoints that come back land where the training scripts resume from."""

from __future__ import annotations

import importlib.util
import json
import tarfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_kit.py"


@pytest.fixture(scope="module")
def kit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_kit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cache(root: Path) -> Path:
    rng = np.random.default_rng(3)
    root.mkdir()
    rgba = rng.integers(0, 256, (40, 56, 4), dtype=np.uint8)
    rgba[:20, :, 3] = 0  # transparent pixels with colours: lossless WebP must keep them
    Image.fromarray(rgba, "RGBA").save(root / "a.glyph.png")
    Image.fromarray(rgba[..., :3], "RGB").save(root / "a.png")
    np.save(root / "a.cond.npy", rng.integers(0, 3, (40, 56, 5), dtype=np.uint8))
    (root / "manifest.json").write_text(json.dumps([{"name": "a"}]))
    return root


def test_pack_unpack_is_lossless(kit: ModuleType, tmp_path: Path) -> None:
    src = _cache(tmp_path / "cache")
    assert kit.pack_cache(src, tmp_path / "packed") > 0
    assert {p.suffix for p in (tmp_path / "packed").iterdir()} == {".webp", ".npz", ".json"}
    assert kit.unpack_cache(tmp_path / "packed", tmp_path / "out") == 4
    for f in src.iterdir():
        back = tmp_path / "out" / f.name
        if f.suffix == ".png":
            a, b = Image.open(f), Image.open(back)
            assert a.mode == b.mode
            assert np.array_equal(np.asarray(a), np.asarray(b)), f.name
        elif f.suffix == ".npy":
            assert np.array_equal(np.load(f), np.load(back))
        else:
            assert f.read_bytes() == back.read_bytes()


def test_collect_then_adopt(kit: ModuleType, tmp_path: Path, monkeypatch) -> None:
    runs, out = tmp_path / "runs", tmp_path / "out"
    (runs / "hp").mkdir(parents=True)
    (runs / "hp" / "last.pt").write_bytes(b"codec")
    (runs / "render").mkdir()
    (runs / "render" / "ckpt.pt").write_bytes(b"renderer")
    (runs / "render" / "log.jsonl").write_text('{"step": 1}\n')
    (runs / "hp.log").write_text("training output\n")
    kit.main(["collect", str(runs), str(out)])
    assert sorted(p.name for p in out.iterdir()) == ["hp.pt", "logs.tar.gz", "render.pt"]
    with tarfile.open(out / "logs.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["hp.log", "render/log.jsonl"]

    monkeypatch.setattr(kit, "ROOT", tmp_path / "repo")
    earlier = tmp_path / "repo" / "build/train/hp/last.pt"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"cpu run")
    kit.main(["adopt", str(out)])
    assert earlier.read_bytes() == b"codec"
    assert earlier.with_suffix(".pt.before-gpu").read_bytes() == b"cpu run"
    assert (tmp_path / "repo/build/train/render_gpu/ckpt.pt").read_bytes() == b"renderer"
    assert not (tmp_path / "repo/build/train/hp_nocond").exists()
    assert (tmp_path / "repo/build/train/gpu_logs/render/log.jsonl").exists()
