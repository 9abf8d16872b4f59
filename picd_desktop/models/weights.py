"""Shipped weights of the learned base codec: export (fp16 + integer entropy tables), load, hash.

`resources/models/<name>/weights.npz` holds conv weights, gains and the entropy bottleneck's
parameters in fp16 (conv weights are snapped to their 2**-WB grid first, which fp16 holds
exactly for |w| < 8), conv biases in float32 (their finer grid needs it) and the entropy coder's
quantised CDF tables as int32: the tables are computed once at export, never on the decoding
machine (their float computation could differ between machines). `card.json` records the
sha256 of weights.npz; the loader refuses a file that does not match.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import torch

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.fsutil import sha256_file
from picd_desktop.models.base_net import WB, BaseNet, NetConfig, QConv, scale_table
from picd_desktop.resources import model_dir

WEIGHTS_FILE = "weights.npz"
CARD_FILE = "card.json"
_TABLES = ("_quantized_cdf", "_offset", "_cdf_length")


def prepare_for_export(net: BaseNet) -> None:
    """Snap conv weights and inverse gains to their grids, round the hyper-latent medians to
    integers and compute the integer CDF tables (in place)."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, QConv):
                w = torch.round(m.conv.weight * 2 ** WB)
                if w.abs().max() >= 2048:
                    raise ValueError("a conv weight is out of fp16's exact range (|w| >= 8)")
                m.conv.weight.copy_(w / 2 ** WB)
                sb = 2 ** (WB + m.in_bits)
                m.conv.bias.copy_(torch.round(m.conv.bias * sb) / sb)
        net.inv_gain.copy_(torch.round(net.inv_gain.abs() * 2 ** WB).clamp(max=2047) / 2 ** WB)
        eb = net.entropy_bottleneck
        eb.quantiles[:, :, 1] = torch.round(eb.quantiles[:, :, 1])
        eb.update(force=True)
        net.gaussian_conditional.update_scale_table(scale_table(), force=True)


def to_arrays(net: BaseNet) -> dict[str, np.ndarray]:
    """The state dict as numpy arrays in their shipped dtypes."""
    out: dict[str, np.ndarray] = {}
    for key, t in net.state_dict().items():
        a = t.detach().cpu().numpy()
        if key.rsplit(".", 1)[-1] in _TABLES:
            out[key] = a.astype(np.int32)
        elif key.endswith("conv.bias") or key.endswith("scale_table") or key.endswith(
                "scale_bound") or key.endswith("likelihood_lower_bound.bound") or (
                key.endswith("lower_bound_scale.bound")):
            out[key] = a.astype(np.float32)
        else:
            out[key] = a.astype(np.float16)
    return out


def save_weights(net: BaseNet, out_dir: Path) -> tuple[Path, str]:
    """Export `net` (after prepare_for_export) to out_dir/weights.npz -> (path, sha256)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    arrays = to_arrays(net)
    check = BaseNet(net.cfg)
    _load_arrays(check, arrays)  # the shipped file must reproduce the integer decoder exactly
    for (k, a), b in zip(net.state_dict().items(), check.state_dict().values(), strict=True):
        if k.rsplit(".", 1)[-1] not in _TABLES and k.startswith(("h_s", "s", "glyph")) and not \
                torch.equal(a.float(), b.float()):
            raise ValueError(f"{k} does not survive export exactly")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path = out_dir / WEIGHTS_FILE
    path.write_bytes(buf.getvalue())
    return path, sha256_file(path)


def _load_arrays(net: BaseNet, arrays: dict[str, np.ndarray]) -> None:
    state = net.state_dict()
    missing = set(state) - set(arrays)
    if missing:
        raise UnknownModelError(f"weights lack {sorted(missing)[:3]}")
    for key, a in arrays.items():
        if key not in state:
            raise UnknownModelError(f"unexpected weight {key!r}")
        t = torch.from_numpy(np.array(a))
        if key.rsplit(".", 1)[-1] in _TABLES:
            mod_name, attr = key.rsplit(".", 1)
            setattr(net.get_submodule(mod_name), attr, t.to(torch.int32))
        else:
            if tuple(t.shape) != tuple(state[key].shape):
                raise UnknownModelError(f"weight {key!r} has shape {tuple(t.shape)}")
            state[key].copy_(t.to(state[key].dtype))
    net.eval()


def load_net(name: str, directory: Path | None = None, check_hash: bool = True
             ) -> tuple[BaseNet, dict]:
    """(net, card) from resources/models/<name> (or `directory`); the weights file's sha256 must
    match the card's (UnknownModelError otherwise)."""
    d = Path(directory) if directory is not None else model_dir(name)
    try:
        card = json.loads((d / CARD_FILE).read_text())
        raw = (d / WEIGHTS_FILE).read_bytes()
    except (OSError, ValueError) as exc:
        raise UnknownModelError(f"model {name!r} not found or unreadable in {d}: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if check_hash and digest != card.get("sha256"):
        raise UnknownModelError(
            f"model {name!r}: weights sha256 {digest[:12]}... differs from the card's")
    net = BaseNet(NetConfig(**card["config"]))
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        _load_arrays(net, {k: z[k] for k in z.files})
    net.check_exact_bounds()
    return net, card
