"""Train the diffusion renderer on (original, decoded base, glyph image) triples.

Data: the cache made by `picd_desktop.train.render_data` (real encoder output at several
qualities; glyph images from real Tesseract OCR). Loss (`--loss`): `l1grad`, L1 of the model's
clean-image estimate on pixels plus L1 on horizontal and vertical differences (keeps edges
sharp), or `l2`, the squared error (learns restoration of the base where l1grad did not).
Objectives
(`--objective`): `bridge`, the estimate at a random time step t < T_TRAIN_MAX from x_t noised
around the bridge between x0 and the anchor (`scheduler.bridge_target`); `trajectory`, the
estimate at a random step k of the default sampler (RenderSettings: strength, steps), from the
x_t the sampler itself reaches after k steps of the current model (run without gradients), so
training sees exactly what sampling does. Validation reports, besides the per-step loss, the
PSNR of the full default sampler's output (`sample_psnr`) against the anchor's. Checkpoints
every `--ckpt-every` steps and at the end; running it again resumes. `--smoke` runs three
tiny steps (a CPU check of the whole path).

    python -m picd_desktop.train.renderer CACHE OUT [--minutes 50] [--no-glyphs]
        [--objective bridge|trajectory] [--loss l1grad|l2] [--init NAME] [--export NAME]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from picd_desktop.render.diffusion.model import DOMAINS, RenderNet, RenderNetConfig, anchor_image
from picd_desktop.render.diffusion.pipeline import RenderSettings
from picd_desktop.render.diffusion.scheduler import (
    T_TRAIN_MAX,
    bridge_target,
    make_scheduler,
    sampling_timesteps,
)
from picd_desktop.render.diffusion.tensors import glyph_tensor, image_tensor

VAL_EVERY = 12  # every 12th image of the manifest is held out


class TripleSampler:
    """Random aligned crops of (original, base at a random quality, glyphs) from the cache."""

    def __init__(self, cache: Path, split: str, crop: int, seed: int) -> None:
        entries = json.loads((cache / "manifest.json").read_text())
        keep = [e for i, e in enumerate(entries) if (i % VAL_EVERY == VAL_EVERY - 1)
                == (split == "val")]
        self.items = []
        for e in keep:
            orig = np.asarray(Image.open(cache / f"{e['name']}.png").convert("RGB"))
            glyph = np.asarray(Image.open(cache / f"{e['name']}.glyph.png").convert("RGBA"))
            bases = [np.asarray(Image.open(cache / f"{e['name']}.q{q}.base.png").convert("RGB"))
                     for q in e["qualities"]]
            self.items.append((orig, bases, glyph, DOMAINS.index(e["domain"])))
        if not self.items:
            raise ValueError(f"no {split} images in {cache}")
        areas = np.array([it[0].shape[0] * it[0].shape[1] for it in self.items], float)
        self.p = np.sqrt(areas) / np.sqrt(areas).sum()
        self.crop, self.rng = crop, np.random.default_rng(seed)
        self.names = [e["name"] for e in keep]

    def _crop(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        orig, bases, glyph, _ = self.items[i]
        base = bases[int(self.rng.integers(len(bases)))]
        c = self.crop
        h, w = orig.shape[:2]
        if h < c or w < c:
            pad = ((0, max(0, c - h)), (0, max(0, c - w)), (0, 0))
            orig, base, glyph = (np.pad(a, pad, "edge") for a in (orig, base, glyph))
            h, w = orig.shape[:2]
        y, x = int(self.rng.integers(0, h - c + 1)), int(self.rng.integers(0, w - c + 1))
        return (orig[y:y + c, x:x + c], base[y:y + c, x:x + c], glyph[y:y + c, x:x + c])

    def sample(self, n: int) -> tuple[torch.Tensor, ...]:
        """(x0, base, glyphs, domain): tensors in [-1, 1] (glyphs premultiplied + alpha)."""
        xs, bs, gs, ds = [], [], [], []
        while len(xs) < n:
            i = int(self.rng.choice(len(self.items), p=self.p))
            o, b, g = self._crop(i)
            flat = o.std() < 2 and g[..., 3].max() == 0
            if flat and self.rng.random() < 0.9:  # inference skips flat tiles anyway
                continue
            xs.append(o)
            bs.append(b)
            gs.append(g)
            ds.append(self.items[i][3])
        return (image_tensor(np.stack(xs)), image_tensor(np.stack(bs)),
                glyph_tensor(np.stack(gs)), torch.tensor(ds))


LOSSES = ("l1grad", "l2")


def render_loss(pred: torch.Tensor, target: torch.Tensor, kind: str = "l1grad") -> torch.Tensor:
    """`l1grad`: L1 on pixels + L1 on horizontal and vertical differences; `l2`: mean squared
    error (what PSNR and, mostly, MS-SSIM reward)."""
    if kind == "l2":
        return (pred - target).square().mean()
    loss = (pred - target).abs().mean()
    for dim in (2, 3):
        loss = loss + (pred.diff(dim=dim) - target.diff(dim=dim)).abs().mean()
    return loss


OBJECTIVES = ("bridge", "trajectory")


def _step_batch(net: RenderNet, sched, batch, gen: torch.Generator, objective: str = "bridge",
                loss_kind: str = "l1grad"):
    """(loss, clean-image estimate) of one batch under `objective`."""
    dev = next(net.parameters()).device
    x0, base, glyphs, domain = (b.to(dev) for b in batch)
    g = glyphs if net.cfg.glyphs else None
    noise = torch.randn(x0.shape, generator=gen).to(dev)
    anchor = anchor_image(base, g)
    if objective == "trajectory":
        k = int(torch.randint(0, RenderSettings.steps, (1,), generator=gen))
        pred = sample(net, sched, base, g, domain, anchor, noise, stop_after=k)
        return render_loss(pred, x0, loss_kind), pred
    t = torch.randint(0, T_TRAIN_MAX, (x0.shape[0],), generator=gen).to(dev)
    x_t = sched.add_noise(bridge_target(x0, anchor, t), noise, t)
    pred = net(x_t, t, domain, base, g, anchor)
    return render_loss(pred, x0, loss_kind), pred


def sample(net: RenderNet, sched, base, g, domain, anchor, noise,
           stop_after: int | None = None) -> torch.Tensor:
    """The default sampler on a batch of crops (as the pipeline runs it on one tile): the
    clean-image estimate of the last step, or of step `stop_after` (0-based) with gradients
    for that step alone."""
    settings = RenderSettings()
    timesteps = sampling_timesteps(sched, settings.steps, settings.strength)
    last = len(timesteps) - 1 if stop_after is None else stop_after
    x = sched.add_noise(anchor, noise, torch.tensor([timesteps[0]]))
    for k, t in enumerate(timesteps[:last + 1]):
        tt = torch.full((x.shape[0],), t, device=x.device)
        if k < last:
            with torch.no_grad():
                est = net(x, tt, domain, base, g, anchor).clamp(-1, 1)
            x = sched.step(est, t, x).prev_sample
        else:
            return net(x, tt, domain, base, g, anchor)
    raise AssertionError("unreachable")


@torch.no_grad()
def evaluate(net: RenderNet, sched, sampler: TripleSampler, batches: int = 6,
             objective: str = "bridge", loss_kind: str = "l1grad") -> dict:
    """On fixed held-out crops: the objective's loss and PSNR, the full default sampler's
    PSNR, and the anchor's."""
    state = sampler.rng.bit_generator.state
    sampler.rng = np.random.default_rng(1234)
    gen = torch.Generator().manual_seed(1234)
    net.eval()
    losses, mse_pred, mse_anchor, mse_sample = [], [], [], []
    for _ in range(batches):
        batch = sampler.sample(8)
        loss, pred = _step_batch(net, sched, batch, gen, objective, loss_kind)
        x0, base, glyphs, domain = (b.to(pred.device) for b in batch)
        g = glyphs if net.cfg.glyphs else None
        anchor = anchor_image(base, g)
        noise = torch.randn(x0.shape, generator=gen).to(x0.device)
        out = sample(net, sched, base, g, domain, anchor, noise).clamp(-1, 1)
        losses.append(float(loss))
        mse_pred.append(float(((pred.clamp(-1, 1) - x0) / 2).square().mean()))
        mse_anchor.append(float(((anchor - x0) / 2).square().mean()))
        mse_sample.append(float(((out - x0) / 2).square().mean()))
    net.train()
    sampler.rng = np.random.default_rng()
    sampler.rng.bit_generator.state = state

    def psnr(m: list[float]) -> float:
        return 10 * math.log10(1 / max(np.mean(m), 1e-12))

    return {"val_loss": float(np.mean(losses)), "val_psnr": psnr(mse_pred),
            "sample_psnr": psnr(mse_sample), "anchor_psnr": psnr(mse_anchor)}


def train(cache: Path, out: Path, *, minutes: float, max_steps: int, glyphs: bool,
          batch: int, crop: int, lr: float, threads: int, ckpt_every: int,
          smoke: bool = False, device: str = "cpu", objective: str = "bridge",
          init: str | None = None, loss_kind: str = "l1grad") -> dict:
    """Train (resuming from out/ckpt.pt when present, else starting from the shipped model
    `init` when given); returns the final log record."""
    torch.set_num_threads(threads)
    out.mkdir(parents=True, exist_ok=True)
    cfg = RenderNetConfig(widths=(24, 48, 96), cond_width=24, glyphs=glyphs)
    if smoke:
        cfg = RenderNetConfig(widths=(8, 16, 16), cond_width=8, glyphs=glyphs, t_dim=16)
    net = RenderNet(cfg).to(device)
    ema = copy.deepcopy(net).requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    step, elapsed, init_from = 0, 0.0, None
    ckpt = out / "ckpt.pt"
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False, map_location=device)
        if state["cfg"] != cfg.to_dict():
            raise ValueError(f"{ckpt} was trained with another config")
        net.load_state_dict(state["net"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
        init_from = state.get("init")
    elif init:
        from picd_desktop.render.diffusion.weights import (  # noqa: PLC0415
            load_render_net,
            read_card,
        )

        start = load_render_net(init)
        if start.cfg != cfg:
            raise ValueError(f"model {init} has another config: {start.cfg}")
        net.load_state_dict(start.state_dict())
        ema.load_state_dict(start.state_dict())
        init_from = f"{init} ({read_card(init)['sha256'][:16]}...)"
    sched = make_scheduler()
    hardware = (f"{platform.machine()} {os.cpu_count()}-core machine, {device}, "
                f"{threads} torch thread(s)" + (f", {torch.cuda.get_device_name()}"
                                                if device.startswith("cuda") else ""))
    train_set = TripleSampler(cache, "train", crop, seed=step)
    val_set = TripleSampler(cache, "val", crop, seed=0)
    gen = torch.Generator().manual_seed(10_000 + step)
    log = (out / "log.jsonl").open("a")
    t_start = time.time() - elapsed
    record: dict = {}

    def save() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"cfg": cfg.to_dict(), "net": net.state_dict(), "ema": ema.state_dict(),
                    "opt": opt.state_dict(), "step": step,
                    "elapsed": time.time() - t_start, "hardware": hardware,
                    "objective": objective, "loss": loss_kind, "init": init_from}, tmp)
        tmp.replace(ckpt)

    while step < max_steps and (time.time() - t_start) < minutes * 60:
        frac = min(1.0, (time.time() - t_start) / (minutes * 60))
        for group in opt.param_groups:  # warm-up, then cosine decay over the time budget
            group["lr"] = lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * frac))
        loss, _ = _step_batch(net, sched, train_set.sample(batch), gen, objective,
                              loss_kind)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        decay = min(0.995, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), net.parameters(), strict=True):
                pe.lerp_(p, 1 - decay)
        step += 1
        if step % 25 == 0:
            record = {"step": step, "loss": float(loss.detach()),
                      "minutes": (time.time() - t_start) / 60}
            if step % ckpt_every == 0:
                record |= evaluate(ema, sched, val_set, 2 if smoke else 6, objective, loss_kind)
                save()
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(json.dumps(record), flush=True)
    record = {"step": step, "minutes": (time.time() - t_start) / 60,
              **evaluate(ema, sched, val_set, 2 if smoke else 6, objective, loss_kind)}
    log.write(json.dumps(record | {"final": True}) + "\n")
    log.close()
    save()
    return record


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cache", type=Path, help="made by picd_desktop.train.render_data")
    ap.add_argument("out", type=Path, help="checkpoint folder (resumed when it exists)")
    ap.add_argument("--minutes", type=float, default=50.0, help="wall-clock budget")
    ap.add_argument("--max-steps", type=int, default=1_000_000)
    ap.add_argument("--no-glyphs", action="store_true", help="ablation: no glyph input")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (a real run: cuda, --batch 32)")
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--objective", choices=OBJECTIVES, default="bridge")
    ap.add_argument("--loss", choices=LOSSES, default="l1grad")
    ap.add_argument("--init", metavar="NAME", help="start from the shipped model NAME")
    ap.add_argument("--smoke", action="store_true", help="a tiny model, 3 steps")
    ap.add_argument("--export", metavar="NAME", help="write resources/models/NAME after")
    args = ap.parse_args(argv)
    if args.smoke:
        args.max_steps, args.batch, args.crop, args.ckpt_every = 3, 2, 64, 25
    record = train(args.cache, args.out, minutes=args.minutes, max_steps=args.max_steps,
                   glyphs=not args.no_glyphs, batch=args.batch, crop=args.crop, lr=args.lr,
                   threads=args.threads, ckpt_every=args.ckpt_every, smoke=args.smoke,
                   device=args.device, objective=args.objective, init=args.init,
                   loss_kind=args.loss)
    print(json.dumps(record))
    if args.export:
        from picd_desktop.render.diffusion.weights import export_checkpoint  # noqa: PLC0415

        path = export_checkpoint(args.out / "ckpt.pt", args.export, cache=args.cache)
        print(f"exported {path}")


if __name__ == "__main__":
    main()
