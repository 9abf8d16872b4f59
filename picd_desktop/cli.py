"""`picd`: the command line over picd_desktop.api (encode, decode, info, text, search, verify)."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from picd_desktop import __version__
from picd_desktop.fsutil import sha256_file

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class Job:
    source: Path
    target: Path


@dataclass(frozen=True)
class JobResult:
    job: Job
    status: str  # "done", "skipped" or "failed"
    message: str = ""
    source_bytes: int = 0
    target_bytes: int = 0


def plan_jobs(inputs: Sequence[str], output: str) -> list[Job]:
    """Map input files and folders to output `.picd` paths (folders keep their structure)."""
    from picd_desktop.format.errors import InputImageError

    sources: list[tuple[Path, Path]] = []  # (file, path relative to the output folder)
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES:
                    sources.append((file, file.relative_to(path)))
        elif path.is_file():
            sources.append((path, Path(path.name)))
        else:
            raise InputImageError(f"{raw}: no such file or folder")
    if not sources:
        raise InputImageError("no input images found")
    out = Path(output)
    if len(sources) == 1 and out.suffix.lower() == ".picd" and not Path(inputs[0]).is_dir():
        return [Job(sources[0][0], out)]
    if out.suffix.lower() == ".picd":
        raise InputImageError(f"{output}: several inputs need an output folder, not a file")
    return [Job(src, (out / rel).with_suffix(".picd")) for src, rel in sources]


def _already_done(job: Job) -> bool:
    """True when the target is a valid .picd made from this very source (resume)."""
    from picd_desktop.format import container
    from picd_desktop.format.errors import PicdError

    try:
        meta = container.read(job.target, want_base=False).meta
    except PicdError:
        return False
    return meta.get("source_sha256") == sha256_file(job.source)


def encode_job(job: Job, options: dict, force: bool) -> JobResult:
    """Encode one file (runs in a worker process for batches)."""
    from picd_desktop import api
    from picd_desktop.format.errors import PicdError
    from picd_desktop.fsutil import write_atomic

    try:
        if job.target.exists() and not force:
            if _already_done(job):
                size = job.target.stat().st_size
                return JobResult(job, "skipped", "already encoded", target_bytes=size)
            return JobResult(job, "failed", f"{job.target} exists (use --force to overwrite)")
        if job.target.resolve() == job.source.resolve():
            return JobResult(job, "failed", "refusing to overwrite the input")
        stat = job.source.stat()
        meta = {
            "source": job.source.name,
            "source_sha256": sha256_file(job.source),
            "source_bytes": stat.st_size,
            "captured": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds"),
        }
        data = api.encode(job.source, meta=meta, **options)
        job.target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(job.target, data, overwrite=force)
        return JobResult(job, "done", source_bytes=stat.st_size, target_bytes=len(data))
    except (PicdError, ValueError, OSError) as exc:
        return JobResult(job, "failed", str(exc))


def cmd_encode(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from picd_desktop import api

    api.check_base_codec(args.base, args.lossless)  # once for the batch, not once per job
    jobs = plan_jobs(args.inputs, args.output)
    options = {"quality": args.quality, "target_bpp": args.target_bpp, "lang": args.lang,
               "lossless": args.lossless, "base": args.base}
    results: list[JobResult] = []
    bar = tqdm(total=len(jobs), unit="img", disable=len(jobs) < 2 or None, file=sys.stderr)
    try:
        if args.jobs > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                futures = [pool.submit(encode_job, j, options, args.force) for j in jobs]
                for fut in as_completed(futures):
                    results.append(_report(fut.result(), bar))
        else:
            for job in jobs:
                results.append(_report(encode_job(job, options, args.force), bar))
    finally:
        bar.close()
    done = [r for r in results if r.status == "done"]
    failed = [r for r in results if r.status == "failed"]
    skipped = len(results) - len(done) - len(failed)
    if len(jobs) > 1 or failed:
        src = sum(r.source_bytes for r in done)
        dst = sum(r.target_bytes for r in done)
        ratio = f", {src / dst:.1f}x smaller than the inputs" if dst else ""
        print(f"{len(done)} encoded, {skipped} skipped (already done), {len(failed)} failed"
              f"{ratio}", file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_OK


def _report(result: JobResult, bar) -> JobResult:
    if result.status == "failed":
        bar.write(f"picd: {result.job.source}: {result.message}", file=sys.stderr)
    elif result.status == "done" and bar.disable:
        print(f"{result.job.source} -> {result.job.target} ({result.target_bytes} bytes)")
    bar.update(1)
    return result


def cmd_decode(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from picd_desktop import api
    from picd_desktop.format.errors import OutputExistsError
    from picd_desktop.fsutil import write_atomic

    source = Path(args.input)
    target = Path(args.output) if args.output else source.with_suffix(".png")
    if target.exists() and not args.force:
        raise OutputExistsError(f"{target} exists (use --force to overwrite)")
    bar = tqdm(unit="step", disable=None, file=sys.stderr, leave=False)

    def progress(step: int, total: int, _preview) -> None:
        bar.total = total
        bar.n = step
        bar.refresh()

    try:
        image = api.decode(source, renderer=args.renderer, device=args.device, steps=args.steps,
                           guidance=args.guidance, seed=args.seed, progress=progress)
    finally:
        bar.close()
    buf = io.BytesIO()
    image.save(buf, "PNG")
    write_atomic(target, buf.getvalue(), overwrite=args.force)
    print(f"{source} -> {target} ({image.width}x{image.height})")
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from picd_desktop import api

    rows = []
    for path in args.files:
        meta = api.info(path)
        row = {
            "file": path,
            "size": [meta.width, meta.height],
            "bytes": meta.file_bytes,
            "bpp": round(meta.bpp, 4),
            "text_bytes": meta.text_bytes,
            "base_bytes": meta.base_bytes,
            "thumb_bytes": meta.thumb_bytes,
            "lossless": meta.lossless,
            "words": meta.words,
            "drawn_words": meta.drawn_words,
            "created": datetime.fromtimestamp(meta.created_ms / 1000, UTC).isoformat(
                timespec="seconds"),
            "components": meta.components,
            "meta": meta.meta,
        }
        rows.append(row)
        if not args.json:
            for key, value in row.items():
                print(f"{key:12} {value}")
            print()
    if args.json:
        print(json.dumps(rows if len(rows) > 1 else rows[0], indent=2))
    return EXIT_OK


def cmd_text(args: argparse.Namespace) -> int:
    from picd_desktop import api

    layer = api.read_text(args.file)
    if args.json:
        lines = [{"box": line.box, "text": line.text,
                  "words": [{"text": w.text, "box": line.word_box(w), "drawn": w.drawn}
                            for w in line.words]} for line in layer.lines()]
        print(json.dumps({"lang": layer.lang, "lines": lines}, indent=2, ensure_ascii=False))
    else:
        print(layer.text)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from picd_desktop.archive.search import highlight, search

    errors: list = []
    hits = 0
    for hit in search(args.query, args.paths, errors):
        hits += 1
        print(f"{hit.path}: {highlight(hit.line, args.query)}")
    for path, message in errors:
        print(f"picd: {path}: {message}", file=sys.stderr)
    return EXIT_OK if hits else EXIT_ERROR


def cmd_verify(args: argparse.Namespace) -> int:
    from picd_desktop import api
    from picd_desktop.verify import verify_image

    layer = api.read_text(args.file)
    image = api.decode(args.file, renderer=args.renderer, device=args.device)
    report = verify_image(image, layer)
    print(json.dumps({"file": args.file, **report.to_json()}, indent=2, ensure_ascii=False))
    return EXIT_OK


def cmd_codecs(args: argparse.Namespace) -> int:
    from picd_desktop import api

    default = api.default_base_codec()
    for codec_id in api.base_codecs():
        print(f"base      {codec_id}{'  (default)' if codec_id == default else ''}")
    for name in api.available_renderers():
        print(f"renderer  {name}{'  (default)' if name == api.DEFAULT_RENDERER else ''}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="picd", description="PICD screenshot codec: a lossless "
                                     "searchable text layer over a very low-rate image layer.")
    parser.add_argument("--version", action="version", version=f"picd {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    enc = sub.add_parser("encode", help="compress images into .picd files")
    enc.add_argument("inputs", nargs="+", help="image files or folders")
    enc.add_argument("-o", "--output", required=True, help="OUT.picd (one input) or a folder")
    rate = enc.add_mutually_exclusive_group()
    rate.add_argument("--quality", type=int, choices=range(1, 9), metavar="1-8",
                      help="1 smallest .. 8 best (default 3)")
    rate.add_argument("--target-bpp", type=float, help="target bits per pixel for the file")
    rate.add_argument("--lossless", action="store_true", help="exact pixels plus the text layer")
    enc.add_argument("--base", metavar="CODEC",
                     help="base-layer codec id (default: the classic codec; see `picd codecs`)")
    enc.add_argument("--lang", default="eng", help="Tesseract language(s), e.g. eng or eng+deu")
    enc.add_argument("--jobs", type=int, default=1, help="parallel encodes for batches")
    enc.add_argument("--force", action="store_true", help="overwrite existing outputs")
    enc.set_defaults(func=cmd_encode)

    dec = sub.add_parser("decode", help="render a .picd file to PNG")
    dec.add_argument("input")
    dec.add_argument("-o", "--output", help="OUT.png (default: beside the input)")
    dec.add_argument("--renderer", default="composite", help="composite (default) or diffusion")
    dec.add_argument("--steps", type=int, help="diffusion steps (default 2)")
    dec.add_argument("--guidance", action="store_true",
                     help="diffusion: OCR and re-compression guidance at every step (slower)")
    dec.add_argument("--seed", type=int, default=0, help="diffusion noise seed")
    dec.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    dec.add_argument("--force", action="store_true", help="overwrite an existing output")
    dec.set_defaults(func=cmd_decode)

    inf = sub.add_parser("info", help="sizes, components and metadata")
    inf.add_argument("files", nargs="+")
    inf.add_argument("--json", action="store_true")
    inf.set_defaults(func=cmd_info)

    txt = sub.add_parser("text", help="print the text layer")
    txt.add_argument("file")
    txt.add_argument("--json", action="store_true", help="words with boxes")
    txt.set_defaults(func=cmd_text)

    sea = sub.add_parser("search", help="full-text search over .picd text layers")
    sea.add_argument("query")
    sea.add_argument("paths", nargs="+", help=".picd files or folders")
    sea.set_defaults(func=cmd_search)

    ver = sub.add_parser("verify", help="re-OCR the render against the text layer (JSON)")
    ver.add_argument("file")
    ver.add_argument("--renderer", default="composite")
    ver.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ver.set_defaults(func=cmd_verify)

    cod = sub.add_parser("codecs", help="list the base codecs (for encode --base) and renderers")
    cod.set_defaults(func=cmd_codecs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    from picd_desktop.format.errors import PicdError

    try:
        return args.func(args)
    except PicdError as exc:
        print(f"picd: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as exc:
        print(f"picd: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("picd: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
