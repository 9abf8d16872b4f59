"""Are the words PICD draws the words that were there? Checked against ground truth.

The synthetic screenshots of the benchmark set come with the exact words drawn and their
boxes (`*.truth.json`). Every word the encoder marks as drawn is matched to the truth word its
box overlaps most; it is correct when the texts are equal. No OCR of the decode is involved,
so this measures what the decoder draws, not how well Tesseract reads it.

    .venv/bin/python bench/drawn_truth.py --split test --quality 1

Writes bench/results/drawn_truth.md (the command at the top).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from picd_desktop import api  # noqa: E402
from picd_desktop.verify import overlap  # noqa: E402

ROOT = Path(__file__).resolve().parent


def check_image(image: Path, truth: Path, quality: float) -> dict:
    """Counts for one image: words, drawn, drawn correct, and the wrong ones."""
    words = json.loads(truth.read_text())["words"]
    layer = api.read_text(api.encode(image, quality=quality))
    drawn = correct = unmatched = 0
    wrong: list[tuple[str, str]] = []
    for line, word in layer.words():
        if not word.drawn:
            continue
        drawn += 1
        box = line.word_box(word)
        best = max(words, key=lambda t: overlap(box, tuple(t["box"])), default=None)
        if best is None or overlap(box, tuple(best["box"])) < 0.5:
            unmatched += 1
            wrong.append((word.text, ""))
        elif best["text"] == word.text:
            correct += 1
        else:
            wrong.append((word.text, best["text"]))
    return {"image": image.name, "truth_words": len(words), "layer_words": layer.word_count,
            "drawn": drawn, "correct": correct, "unmatched": unmatched, "wrong": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--split", default="test", help="test, val or all")
    parser.add_argument("--quality", type=float, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "drawn_truth.md")
    args = parser.parse_args()
    manifest = json.loads((ROOT / "set_manifest.json").read_text())
    entries = [e for e in manifest["images"] if e.get("truth")
               and (args.split == "all" or e["split"] == args.split)]
    rows = []
    for e in entries:
        row = check_image(args.data / e["file"], args.data / e["truth"], args.quality)
        rows.append(row)
        print(f"{row['image']}: drawn {row['drawn']}/{row['layer_words']}, "
              f"wrong {len(row['wrong'])}", flush=True)
    drawn = sum(r["drawn"] for r in rows)
    correct = sum(r["correct"] for r in rows)
    truth = sum(r["truth_words"] for r in rows)
    lines = [
        "# Drawn words against ground truth",
        "",
        f"Command: `python bench/drawn_truth.py --split {args.split} --quality {args.quality:g}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores. Synthetic screenshots of the "
        f"benchmark set ({len(rows)} images, {truth} truth words); a drawn word is correct "
        "when its text equals the truth word its box overlaps most (>= 50 % of the smaller "
        "box). No OCR of the decode is involved.",
        "",
        f"**Drawn {drawn} words ({drawn / max(truth, 1):.1%} of the truth words); correct "
        f"{correct} ({correct / max(drawn, 1):.2%}); wrong {drawn - correct}.**",
        "",
        "| image | truth words | layer words | drawn | correct | wrong (drawn -> truth) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        wrong = ", ".join(f"`{a}` -> `{b}`" for a, b in r["wrong"]) or "-"
        lines.append(f"| {r['image']} | {r['truth_words']} | {r['layer_words']} | {r['drawn']} "
                     f"| {r['correct']} | {wrong} |")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"drawn {drawn}, correct {correct}, wrong {drawn - correct} -> {args.out}")


if __name__ == "__main__":
    main()
