"""Train the learned base codec (models/base_net.py) and export its shipped weights.

    python -m picd_desktop.train.base_codec --data build/train_cache --ckpt build/train/hp \
        --minutes 20 --export resources/models/learned-hp-v1

Data: `train.data.prepare` (cleaned screenshots + glyph planes; `--prepare` builds the cache).
Loss: per sample a quality level l in 0..7, lambda_l * 255**2 * MSE + bits per pixel (y and z),
plus the entropy bottleneck's auxiliary quantile loss. Checkpoints (`--ckpt`/last.pt) hold
model, optimisers, step and elapsed time; a rerun resumes from them. `--smoke` runs a few
steps on tiny crops. `--device auto` picks CUDA when present.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from picd_desktop.models.base_net import LEVELS, BaseNet, NetConfig
from picd_desktop.models.weights import CARD_FILE, prepare_for_export, save_weights
from picd_desktop.train.codec_grow import grow_from
from picd_desktop.train.data import SYNTH_SEED, CropSampler, codec_sources, prepare

LAMBDAS = tuple(0.0009 * (100 ** (i / (LEVELS - 1))) for i in range(LEVELS))  # 0.0009 .. 0.09


def lambdas(shift: int = 0) -> tuple[float, ...]:
    """The levels' lambdas moved `shift` levels down the same geometric ladder (shift 3: level 0
    trains at 1/7 of 0.0009 and level 7 at LAMBDAS[4]): lower rates, fewer saturated levels."""
    ratio = LAMBDAS[1] / LAMBDAS[0]
    return tuple(lam * ratio ** -shift for lam in LAMBDAS)


def pick_device(name: str) -> torch.device:
    """'auto' -> cuda when available, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def rd_loss(net: BaseNet, x: torch.Tensor, cond: torch.Tensor | None, level: torch.Tensor,
            lams: tuple[float, ...] = LAMBDAS) -> tuple[torch.Tensor, dict]:
    """Rate-distortion loss of a batch (x, cond uint8 as float; level (B,); lams per level)."""
    out = net(x / 256, None if cond is None else cond / 256, level)
    target = x / 255
    n_px = x.shape[2] * x.shape[3]
    bits = sum((-torch.log2(lik)).sum(dim=(1, 2, 3)) for lik in out["likelihoods"].values())
    bpp = bits / n_px
    mse = F.mse_loss(out["x_hat"], target, reduction="none").mean(dim=(1, 2, 3))
    lam = torch.tensor(lams, device=x.device)[level]
    loss = (lam * 255 ** 2 * mse + bpp).mean()
    psnr = 10 * torch.log10(1 / mse.clamp_min(1e-10))
    return loss, {"bpp": float(bpp.detach().mean()), "mse": float(mse.detach().mean()),
                  "psnr": float(psnr.detach().mean())}


def _optimisers(net: BaseNet, lr: float):
    aux = [p for n, p in net.named_parameters() if n.endswith("quantiles")]
    main = [p for n, p in net.named_parameters() if not n.endswith("quantiles")]
    return torch.optim.Adam(main, lr=lr), torch.optim.Adam(aux, lr=1e-3)


def train(args: argparse.Namespace) -> dict:
    """Run (or resume) training; returns a summary."""
    torch.set_num_threads(args.threads)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    cfg = NetConfig(m=args.m, cond=not args.no_cond, ga_res=args.ga_res, gs_res=args.gs_res,
                    half=args.half)
    net = BaseNet(cfg).to(device)
    opt, aux_opt = _optimisers(net, args.lr)
    ckpt = Path(args.ckpt)
    ckpt.mkdir(parents=True, exist_ok=True)
    last = ckpt / "last.pt"
    step, elapsed, log, runs = 0, 0.0, [], []
    if last.exists():
        state = torch.load(last, map_location=device, weights_only=False)
        if state["config"] != cfg.as_dict():
            raise SystemExit(f"{last} was trained with another config: {state['config']}")
        saved = state.get("lambda_shift", 0)
        if args.lambda_shift not in (None, saved):
            raise SystemExit(f"{last} was trained with another --lambda-shift: {saved}")
        args.lambda_shift = saved
        net.load_state_dict(state["model"], strict=False)
        opt.load_state_dict(state["opt"])
        aux_opt.load_state_dict(state["aux_opt"])
        for group in opt.param_groups:  # --lr sets the rate from here on (e.g. a final decay)
            group["lr"] = args.lr
        step, elapsed, log = state["step"], state["elapsed"], state["log"]
        # checkpoints from before per-run records were all CPU runs with one torch thread
        runs = state.get("runs") or [{"hardware": f"{platform.machine()} CPU, 1 torch thread(s)",
                                      "steps": step, "minutes": round(elapsed / 60, 2)}]
        print(f"resumed from {last} at step {step} ({elapsed / 60:.1f} min)")
    elif args.init:
        step, elapsed, runs = grow_from(net, Path(args.init), args.lambda_shift)
        net.to(device)
    if args.lambda_shift is None:  # the exported model's own levels (0 from scratch)
        args.lambda_shift = _card(Path(args.init)).get("lambda_shift", 0) if args.init else 0
    sampler = CropSampler(Path(args.data), args.crop, seed=args.seed + step)
    rng = np.random.default_rng(args.seed + 7919 * step)
    t0 = time.monotonic()
    runs.append({"hardware": hardware_name(device, args.threads), "steps": 0, "minutes": 0.0,
                 "lr": args.lr})
    budget = args.minutes * 60
    lams = lambdas(args.lambda_shift)
    run_steps = 0
    net.train()
    while run_steps < args.steps and (time.monotonic() - t0) < budget:
        xs, cs = sampler.sample(args.batch)
        x = torch.from_numpy(xs).permute(0, 3, 1, 2).float().to(device)
        c = None if args.no_cond else torch.from_numpy(cs).permute(0, 3, 1, 2).float().to(device)
        level = torch.from_numpy(rng.integers(0, LEVELS, args.batch)).to(device)
        loss, m = rd_loss(net, x, c, level, lams)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        aux = net.entropy_bottleneck.loss()
        aux_opt.zero_grad()
        aux.backward()
        aux_opt.step()
        step += 1
        run_steps += 1
        if step % args.log_every == 0 or run_steps == 1:
            rec = {"step": step, "loss": float(loss), **m, "aux": float(aux),
                   "min": (elapsed + time.monotonic() - t0) / 60}
            log.append(rec)
            print(json.dumps(rec), flush=True)
        runs[-1].update(steps=run_steps, minutes=round((time.monotonic() - t0) / 60, 2))
        if step % args.ckpt_every == 0:
            _save(last, net, opt, aux_opt, step, elapsed + time.monotonic() - t0, log, cfg, runs,
                  args.lambda_shift)
    elapsed += time.monotonic() - t0
    _save(last, net, opt, aux_opt, step, elapsed, log, cfg, runs, args.lambda_shift)
    summary = {"steps": step, "minutes": elapsed / 60, "last": log[-1] if log else None}
    if args.export:
        summary["export"] = export(net.cpu(), Path(args.export), args, step, elapsed, runs)
    return summary


def hardware_name(device: torch.device, threads: int) -> str:
    """What a run trains on, for the model card."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.machine()} CPU, {threads} torch thread(s)"


def _save(path: Path, net, opt, aux_opt, step: int, elapsed: float, log: list, cfg,
          runs: list[dict], lambda_shift: int = 0) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": net.state_dict(), "opt": opt.state_dict(),
                "aux_opt": aux_opt.state_dict(), "step": step, "elapsed": elapsed,
                "log": log, "config": cfg.as_dict(), "runs": runs,
                "lambda_shift": lambda_shift}, tmp)
    tmp.replace(path)


def export(net: BaseNet, out: Path, args: argparse.Namespace, step: int, elapsed: float,
           runs: list[dict]) -> dict:
    """Write weights.npz + card.json (metrics are added by the benchmark)."""
    net.eval()
    prepare_for_export(net)
    path, sha = save_weights(net, out)
    data = json.loads((Path(args.data) / "manifest.json").read_text())
    card = {
        "id": out.name, "file": path.name, "sha256": sha, "bytes": path.stat().st_size,
        "config": net.cfg.as_dict(), "lambdas": list(lambdas(args.lambda_shift)),
        "lambda_shift": args.lambda_shift,
        "steps": step, "batch": args.batch, "crop": args.crop, "lr": args.lr,
        "train_minutes": round(elapsed / 60, 2),
        "hardware": "; ".join(sorted({r["hardware"] for r in runs if r["steps"]})),
        "runs": [r for r in runs if r["steps"]],
        "torch": torch.__version__,
        "data": {"images": len(data), "cache": str(args.data),
                 "sources": sorted({_source_group(e["source"]) for e in data}),
                 "excluded": "bench/set_manifest.json images (benchmark), DATA.md reserved sets"},
        "command": "python -m picd_desktop.train.base_codec " + " ".join(args.argv),
    }
    (out / CARD_FILE).write_text(json.dumps(card, indent=1, sort_keys=True))
    return {"sha256": sha, "bytes": card["bytes"]}


def _card(model: Path) -> dict:
    return json.loads((model / CARD_FILE).read_text())


def _source_group(source: str) -> str:
    """Where a training image came from, for the card: the GIMP help root, the photos'
    folder, or the synthetic generator with its seed."""
    if "/images/" in source:
        return source.split("/images/")[0]
    return str(Path(source).parent) if source.startswith("/") else source


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="build/train_cache")
    p.add_argument("--prepare", action="store_true", help="build the data cache first")
    p.add_argument("--prepare-only", action="store_true", help="build the data cache and stop")
    p.add_argument("--n-gimp", type=int, default=40)
    p.add_argument("--synth-seeds", type=int, nargs="+", default=[SYNTH_SEED],
                   help="seeds of the synthetic screens (the benchmark's is never one)")
    p.add_argument("--photos", action="store_true",
                   help="add the opencv-doc photos the benchmark does not use")
    p.add_argument("--ckpt", default="build/train/hp")
    p.add_argument("--export", default=None, help="write shipped weights + card here")
    p.add_argument("--minutes", type=float, default=math.inf)
    p.add_argument("--steps", type=int, default=10 ** 9)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-cond", action="store_true", help="ablation: no glyph condition")
    p.add_argument("--ga-res", type=int, default=0, help="residual blocks in g_a per scale")
    p.add_argument("--gs-res", type=int, default=0, help="residual blocks in g_s at 1/4")
    p.add_argument("--half", type=int, default=0, help="channels of g_s's 1/2-res stage")
    p.add_argument("--m", type=int, default=NetConfig.m,
                   help="latent channels (with --init: may exceed the exported model's)")
    p.add_argument("--init", default=None,
                   help="start from an exported model (it may have fewer blocks or latents)")
    p.add_argument("--lambda-shift", type=int, default=None,
                   help="train the levels at lambdas this many levels lower (lambdas()); "
                        "default: the checkpoint's, else the --init model's, else 0")
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--smoke", action="store_true", help="a few steps on 64 px crops")
    args = p.parse_args(argv)
    args.argv = list(argv) if argv is not None else []
    if args.smoke:
        args.steps, args.batch, args.crop = min(args.steps, 3), 2, 64
        args.log_every, args.ckpt_every = 1, 2
    return args


def main(argv: list[str] | None = None) -> None:
    import sys  # noqa: PLC0415

    args = parse(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    if args.prepare or args.prepare_only:
        entries = prepare(Path(args.data), codec_sources(
            args.n_gimp, synth_seeds=tuple(args.synth_seeds), photos=args.photos))
        print(f"{len(entries)} images in {args.data}")
    if not args.prepare_only:
        print(json.dumps(train(args), indent=1))


if __name__ == "__main__":
    main()
