"""Train the learned base codec and the diffusion renderer on a lent GPU machine, in one call.

The GPU machine (the `device` tool) has torch with CUDA but no network, no Tesseract and not
this project's data; a call carries at most 64 MiB with the working tree. So:

1. here:    python scripts/gpu_kit.py pack --render-cache ../cache/render
            -> gpukit/ (git-ignored, ~45 MB): the codec and renderer training caches
               (images as lossless WebP, condition planes as compressed npz), and the wheels the
               GPU machine lacks (compressai 1.2.8 as its sdist, pytorch-msssim, diffusers,
               platformdirs), and learned-codec payloads with the hashes of their CPU decodes
2. device:  run(command="bash scripts/gpu_run.sh 6", carry=["gpukit"], timeout_s=600)
            -> installs the wheels, `unpack`s the data, trains the four models (codec with and
               without the glyph condition, renderer with and without glyphs) side by side
               for 6 minutes each, checks the learned codec's decode on CUDA against the CPU
               hashes, times the renderer, and `collect`s checkpoints and logs into $OUT
3. here:    python scripts/gpu_kit.py adopt FILES_AT
            -> puts the checkpoints where the training scripts resume from (build/train/...),
               then export and benchmark as the model cards' commands say.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "gpukit"
WHEEL_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                   "any")
RUNS = ("hp", "hp_nocond", "render", "render_noglyph")  # run folders made by gpu_run.sh


def _webp(src: Path, dst: Path) -> None:
    """PNG -> lossless WebP, transparent pixels' colours kept too (about half the bytes)."""
    with Image.open(src) as im:
        im.load()
        im.save(dst, "WEBP", lossless=True, exact=True, method=4)


def _png(src: Path, dst: Path) -> None:
    with Image.open(src) as im:
        im.save(dst, "PNG", compress_level=1)


def pack_cache(cache: Path, out: Path) -> int:
    """Copy a training cache into `out`, PNG as WebP and .npy as .npz; returns the bytes."""
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for f in sorted(cache.iterdir()):
        if f.suffix == ".png":
            jobs.append((f, out / (f.name[:-4] + ".webp")))
        elif f.suffix == ".npy":
            np.savez_compressed(out / (f.name[:-4] + ".npz"), a=np.load(f))
        elif f.suffix == ".json":
            shutil.copy2(f, out / f.name)
    with ThreadPoolExecutor() as pool:
        list(pool.map(lambda job: _webp(*job), jobs))
    return sum(f.stat().st_size for f in out.iterdir())


def unpack_cache(packed: Path, out: Path) -> int:
    """Inverse of pack_cache; returns the number of files written."""
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for f in sorted(packed.iterdir()):
        if f.suffix == ".webp":
            jobs.append((f, out / (f.name[:-5] + ".png")))
        elif f.suffix == ".npz":
            with np.load(f) as z:
                np.save(out / (f.name[:-4] + ".npy"), z["a"])
        elif f.suffix == ".json":
            shutil.copy2(f, out / f.name)
    with ThreadPoolExecutor() as pool:
        list(pool.map(lambda job: _png(*job), jobs))
    return len(list(out.iterdir()))


def download_wheels(dest: Path) -> None:
    """The packages the GPU machine (Python 3.12, torch with CUDA) lacks, pinned to ours."""
    dest.mkdir(parents=True, exist_ok=True)
    wheels = [f"diffusers=={version('diffusers')}", f"pytorch-msssim=={version('pytorch-msssim')}",
              f"platformdirs=={version('platformdirs')}"]
    plat = [a for p in WHEEL_PLATFORMS for a in ("--platform", p)]
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dest)]
    subprocess.run([*pip, "--only-binary=:all:", "--python-version", "3.12",
                    "--implementation", "cp", *plat, *wheels], check=True)
    # compressai 1.2.8 has no cp312 wheel: its sdist is built there (pybind11 is installed)
    subprocess.run([*pip, "--no-binary=:all:", "compressai==1.2.8"], check=True)


def pack(args: argparse.Namespace) -> None:
    if KIT.exists():
        shutil.rmtree(KIT)
    sizes = {"codec": pack_cache(args.codec_cache, KIT / "codec"),
             "render": pack_cache(args.render_cache, KIT / "render")}
    subprocess.run([sys.executable, str(ROOT / "bench/learned_exact_check.py"), "make",
                    str(KIT / "exact"), "--cache", str(args.render_cache)], check=True)
    sizes["exact"] = sum(f.stat().st_size for f in (KIT / "exact").iterdir())
    download_wheels(KIT / "wheels")
    sizes["wheels"] = sum(f.stat().st_size for f in (KIT / "wheels").iterdir())
    print(json.dumps({k: f"{v / 2 ** 20:.1f} MiB" for k, v in sizes.items()}))
    total = sum(sizes.values())
    if total > 48 * 2 ** 20:
        print(f"warning: the kit is {total / 2 ** 20:.0f} MiB; with the working tree a call "
              "carries at most 64 MiB", file=sys.stderr)


def unpack(args: argparse.Namespace) -> None:
    for part in ("codec", "render"):
        n = unpack_cache(args.kit / part, args.out / part)
        print(f"{part}: {n} files in {args.out / part}")


def collect(args: argparse.Namespace) -> None:
    """Checkpoints (one file each) and a tarball of the logs into `out` (at most 8 files)."""
    args.out.mkdir(parents=True, exist_ok=True)
    logs = io.BytesIO()
    with tarfile.open(fileobj=logs, mode="w:gz") as tar:
        for name in RUNS:
            run = args.runs / name
            for ckpt in ("last.pt", "ckpt.pt"):
                if (run / ckpt).exists():
                    shutil.copy2(run / ckpt, args.out / f"{name}.pt")
            for log in run.glob("*.jsonl"):
                tar.add(log, f"{name}/{log.name}")
        for log in args.runs.glob("*.log"):
            tar.add(log, log.name)
    (args.out / "logs.tar.gz").write_bytes(logs.getvalue())


def adopt(args: argparse.Namespace) -> None:
    """Put the checkpoints that came back where the training scripts resume from."""
    targets = {"hp": ROOT / "build/train/hp/last.pt",
               "hp_nocond": ROOT / "build/train/hp_nocond/last.pt",
               "render": ROOT / "build/train/render_gpu/ckpt.pt",
               "render_noglyph": ROOT / "build/train/render_noglyph_gpu/ckpt.pt"}
    for name, dst in targets.items():
        src = args.files / f"{name}.pt"
        if not src.exists():
            print(f"{name}: nothing came back")
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.exists():
            dst.replace(dst.with_suffix(".pt.before-gpu"))
        shutil.copy2(src, dst)
        print(f"{name}: {dst}")
    if (args.files / "logs.tar.gz").exists():
        with tarfile.open(args.files / "logs.tar.gz") as tar:
            tar.extractall(ROOT / "build/train/gpu_logs", filter="data")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="build gpukit/ here")
    p.add_argument("--codec-cache", type=Path, default=ROOT / "build/train_cache")
    p.add_argument("--render-cache", type=Path, default=ROOT / "build/render_cache")
    p.set_defaults(fn=pack)
    p = sub.add_parser("unpack", help="on the GPU machine: the caches back to PNG / .npy")
    p.add_argument("kit", type=Path)
    p.add_argument("out", type=Path)
    p.set_defaults(fn=unpack)
    p = sub.add_parser("collect", help="on the GPU machine: checkpoints and logs into $OUT")
    p.add_argument("runs", type=Path)
    p.add_argument("out", type=Path)
    p.set_defaults(fn=collect)
    p = sub.add_parser("adopt", help="here: take the checkpoints that came back")
    p.add_argument("files", type=Path)
    p.set_defaults(fn=adopt)
    args = ap.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
