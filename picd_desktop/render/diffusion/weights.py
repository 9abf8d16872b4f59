"""Shipped renderer weights: export a training checkpoint (fp16 npz + card), load and verify.

`resources/models/<name>/weights.npz` holds the EMA weights in fp16; `card.json` holds the
architecture config, the scheduler config, the training provenance and metrics, and the
sha256 of weights.npz, which the loader checks.
"""

from __future__ import annotations

import io
import json
import platform
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.fsutil import sha256_file, write_atomic
from picd_desktop.render.diffusion.model import RenderNet, RenderNetConfig
from picd_desktop.render.diffusion.scheduler import SCHEDULER_CONFIG, T_TRAIN_MAX
from picd_desktop.resources import model_dir

WEIGHTS_FILE = "weights.npz"
CARD_FILE = "card.json"
DEFAULT_MODEL = "render-v3"


def export_checkpoint(ckpt: Path, name: str, *, cache: Path | None = None,
                      metrics: dict | None = None, out_root: Path | None = None,
                      hardware: str | None = None) -> Path:
    """Write the checkpoint's EMA weights as resources/models/<name>/ (fp16) with its card."""
    state = torch.load(ckpt, weights_only=False)
    out = (out_root or model_dir(name).parent) / name
    out.mkdir(parents=True, exist_ok=True)
    arrays = {k: v.detach().cpu().numpy().astype(np.float16) for k, v in state["ema"].items()}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_atomic(out / WEIGHTS_FILE, buf.getvalue(), overwrite=True)
    log = ckpt.parent / "log.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    card = {
        "name": name,
        "kind": "diffusion renderer (picd_desktop.render.diffusion.model.RenderNet)",
        "config": state["cfg"],
        "scheduler": SCHEDULER_CONFIG,
        "t_train_max": T_TRAIN_MAX,
        "parameters": int(sum(a.size for a in arrays.values())),
        "training": {
            "steps": state["step"],
            "minutes": round(state["elapsed"] / 60, 1),
            "hardware": state.get("hardware") or hardware or platform.machine(),
            "data": _data_summary(cache) if cache else None,
            "objective": state.get("objective", "bridge"),
            "loss": state.get("loss", "l1grad"),
            "started_from": state.get("init"),
            "script": "python -m picd_desktop.train.renderer (see its docstring)",
            "last_log": records[-1] if records else None,
        },
        "metrics": metrics or {},
        "sha256": sha256_file(out / WEIGHTS_FILE),
    }
    write_atomic(out / CARD_FILE, (json.dumps(card, indent=1) + "\n").encode(), overwrite=True)
    return out


def _data_summary(cache: Path) -> dict:
    entries = json.loads((cache / "manifest.json").read_text())
    kinds: dict[str, int] = {}
    for e in entries:
        kind = e["name"].split("_", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"images": len(entries), "by_source": kinds,
            "qualities": sorted({q for e in entries for q in e["qualities"]}),
            "builder": "python -m picd_desktop.train.render_data",
            "sources": "GIMP help screenshots (gimp-help-en, not in the benchmark set), "
                       "opencv-doc photos not in the benchmark set, synthetic screens "
                       "(bench/sources/synthetic.py, seeds 7-9)"}


def read_card(name: str = DEFAULT_MODEL) -> dict:
    """The model card; UnknownModelError when the model is not installed."""
    path = model_dir(name) / CARD_FILE
    if not path.exists():
        raise UnknownModelError(f"renderer model {name!r} is not installed ({path})")
    return json.loads(path.read_text())


@lru_cache(maxsize=4)
def load_render_net(name: str = DEFAULT_MODEL) -> RenderNet:
    """The shipped model `name` (see `load_render_net_from`)."""
    read_card(name)  # UnknownModelError when it is not installed
    return load_render_net_from(model_dir(name))


def load_render_net_from(folder: Path) -> RenderNet:
    """The model in `folder` in float32, eval mode; checks the weights' sha256 against the
    card (UnknownModelError when they differ or the card is missing)."""
    card_path = Path(folder) / CARD_FILE
    if not card_path.exists():
        raise UnknownModelError(f"no renderer model card at {card_path}")
    card = json.loads(card_path.read_text())
    path = Path(folder) / WEIGHTS_FILE
    digest = sha256_file(path)
    if digest != card["sha256"]:
        raise UnknownModelError(f"{path} does not match its card (sha256 {digest[:12]}, "
                                f"card {card['sha256'][:12]})")
    net = RenderNet(RenderNetConfig.from_dict(card["config"]))
    with np.load(path) as z:
        state = {k: torch.from_numpy(z[k].astype(np.float32)) for k in z.files}
    net.load_state_dict(state)
    return net.eval().requires_grad_(False)
