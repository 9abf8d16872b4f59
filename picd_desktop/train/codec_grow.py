"""Start the learned codec's training from an exported model: grown (extra blocks, more latent
channels) or without the glyph condition (the ablation)."""

from __future__ import annotations

from pathlib import Path

import torch

from picd_desktop.models.base_net import GROWABLE, BaseNet
from picd_desktop.models.weights import load_net

WIDENABLE = ("m",)  # NetConfig fields that may grow: new latent channels, see widen_latents


def grow_from(net: BaseNet, init: Path, lambda_shift: int | None = None
              ) -> tuple[int, float, list[dict]]:
    """Load exported weights (a model directory) into `net`, which may have extra blocks (they
    start at zero, so the grown net computes what the exported one did), more latent channels
    (widen_latents) or may drop the glyph condition (the ablation: each conv keeps its weights
    on the image channels, as if the glyph features were zero); with a `lambda_shift` other than
    the exported model's, its gain vectors move to the levels that now train at their lambdas
    (relevel); returns the exported model's
    (steps, seconds, runs) so the card counts all training."""
    src, card = load_net(init.name, init)
    dropped = src.cfg.cond and not net.cfg.cond
    loose = GROWABLE + WIDENABLE + (("cond",) if dropped else ())
    if {k: v for k, v in src.cfg.as_dict().items() if k not in loose} != {
            k: v for k, v in net.cfg.as_dict().items() if k not in loose} or net.cfg.m < src.cfg.m:
        raise SystemExit(f"{init} has another base config: {src.cfg.as_dict()}")
    own = net.state_dict()
    theirs = src.state_dict()
    if net.cfg.m > src.cfg.m:
        theirs = widen_latents(theirs, own, src.cfg.m, net.cfg.m)
    if dropped:  # the condition's channels come last in every concatenated input
        theirs = {k: v[:, :own[k].shape[1]] if k in own and v.dim() == 4
                  and own[k].shape[1] < v.shape[1] else v for k, v in theirs.items()}
    moved = 0 if lambda_shift is None else lambda_shift - card.get("lambda_shift", 0)
    if moved:
        theirs = dict(theirs, gain=relevel(theirs["gain"], moved),
                      inv_gain=relevel(theirs["inv_gain"], moved))
    shared = {k: v for k, v in theirs.items() if k in own and own[k].shape == v.shape}
    net.load_state_dict(shared, strict=False)
    new = sorted({k.split(".")[0] for k in own if k not in shared and "entropy" not in k
                  and "gaussian" not in k})
    print(f"grown from {init} (step {card['steps']}); new blocks: {new}"
          + (f"; latents {src.cfg.m} -> {net.cfg.m}" if net.cfg.m > src.cfg.m else "")
          + (f"; levels moved {moved} down the lambda ladder" if moved else ""))
    runs = card.get("runs") or [{"hardware": card.get("hardware", "?"), "steps": card["steps"],
                                 "minutes": card["train_minutes"]}]
    return card["steps"], card["train_minutes"] * 60, [dict(r, init=str(init)) for r in runs]


def relevel(rows: torch.Tensor, shift: int) -> torch.Tensor:
    """Per-level vectors (LEVELS, m) for lambdas `shift` levels lower: level k takes old level
    k - shift; levels past either end continue the geometric step of the last two (channels
    whose step is not finite keep the end value). Signs are dropped (the net uses abs)."""
    a = rows.detach().abs()
    n = a.shape[0]
    ext = []
    for k in range(n):
        j = k - shift
        if 0 <= j < n:
            ext.append(a[j])
            continue
        end, nxt, d = (a[0], a[1], -j) if j < 0 else (a[-1], a[-2], j - n + 1)
        ratio = torch.where((nxt > 0) & (end > 0), end / nxt.clamp_min(1e-12), torch.ones_like(end))
        ext.append(end * ratio ** d)
    return torch.stack(ext)


def widen_latents(theirs: dict, own: dict, m0: int, m1: int) -> dict:
    """`theirs` (a state dict with m0 latent channels) laid into `own`'s shapes (m1 > m0).

    The old channels keep their weights everywhere. New channels: the analysis makes them
    with `own`'s fresh weights; the synthesis and the hyper-analysis start blind to them
    (zero weights), so the widened net decodes what the old one did; the hyper-synthesis
    predicts mean 0 and log-scale 0 for them; their gains are the mean of the old ones. Training
    then finds what the new channels are worth against the bits they cost.
    """
    out = dict(theirs)

    def put(dst: torch.Tensor, dst_rows: slice, src: torch.Tensor, src_rows: slice) -> None:
        """Copy rows, on the input columns both have (the glyph columns come last and are
        gone when the condition is dropped)."""
        if src.dim() == 1:
            dst[dst_rows] = src[src_rows]
        else:
            cols = min(dst.shape[1], src.shape[1])
            dst[dst_rows, :cols] = src[src_rows, :cols]

    for part in ("weight", "bias"):
        a3 = own[f"a3.conv.{part}"].clone()
        put(a3, slice(0, m0), theirs[f"a3.conv.{part}"], slice(0, m0))
        out[f"a3.conv.{part}"] = a3
        # h_s3: [means (m), log-scales (m)] stacked on the output axis
        hs, src = torch.zeros_like(own[f"h_s3.conv.{part}"]), theirs[f"h_s3.conv.{part}"]
        put(hs, slice(0, m0), src, slice(0, m0))
        put(hs, slice(m1, m1 + m0), src, slice(m0, 2 * m0))
        out[f"h_s3.conv.{part}"] = hs
    w = torch.zeros_like(own["h_a1.conv.weight"])
    w[:, :m0] = theirs["h_a1.conv.weight"]
    out["h_a1.conv.weight"] = w
    w, src = torch.zeros_like(own["s1.conv.weight"]), theirs["s1.conv.weight"]
    w[:, :m0] = src[:, :m0]
    glyph = w.shape[1] - m1  # the glyph features follow y in s1's input (none when dropped)
    w[:, m1:] = src[:, m0:m0 + glyph]
    out["s1.conv.weight"] = w
    for key in ("gain", "inv_gain"):
        g = theirs[key]
        out[key] = torch.cat([g, g.mean(1, keepdim=True).expand(-1, m1 - m0)], 1)
    return out
