"""The OCR guidance loss: the recogniser should read the image's text as it reads the reference.

`reference` is the glyph image composited over the base: what the drawn text should look like.
Both are cropped at the same line boxes and read by the differentiable recogniser; the loss is
KL(reference softmax || image softmax) per frame (CTC blanks included), averaged over the frames
each crop really covers (not its padding) and over crops. It is 0 for the reference itself.

Why KL: 4 rendered lines degraded 5 ways (blur 1.0/1.6, 2x/3x down-up, noise) were descended
with unit-RMS gradient steps; count of lines then read as the reference reads (of 40; 12 before
any step): steps of 0.003/0.01, after 6 and 12 steps: KL 23, 28; CE to the reference argmax
16, 28; the paper's MSE of logits 14, 16. Steps of 3e-4/1e-3, after 8: KL 15, CE 17, MSE 14.
KL is as good as CE, faster at the larger steps, exactly 0 (no push) once the image reads like
the reference and keeps the reference's own doubt on ambiguous frames; MSE spends its gradient
on the 18 700 irrelevant classes. The loss is sharp: a unit-RMS step of 3e-4 (in [0, 1] units)
can already divide it by 100, and the reading changes with almost no pixel change (PSNR to the
reference moved < 0.1 dB in all runs), so guidance strengths must be small.

Cost control: crops are resized to the model's 48 px height, padded to widths that are
multiples of WIDTH_STEP (at least `min_width`) and batched by width, so a crop's logits do not
depend on the other crops of its batch. At most `max_boxes` crops per call: when there are
more, the ones where image and reference differ most (mean absolute difference) are used.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from picd_desktop.models.ocr_torch import MIN_WIDTH, Recognizer, resized_width
from picd_desktop.text.glyphs import line_ink_region
from picd_desktop.text.layer import Box, TextLayer, Word

MAX_BOXES = 16  # crops per call; each costs ~0.3 s (48x320) to ~0.55 s (48x768) on 1 CPU core
MAX_BATCH = 8
WIDTH_STEP = 32
PAD = 3  # pixels added around each box before cropping
MAX_ASPECT = 24.0  # line_boxes splits longer runs of words (at word gaps) into several boxes


def line_boxes(layer: TextLayer, max_aspect: float = MAX_ASPECT) -> list[Box]:
    """Boxes of the layer's drawn words, one per run of consecutive drawn words of a line.

    An undrawn word ends a run (the reference shows the base there, not the layer's text); a
    run wider than `max_aspect` times its height is split at word gaps. Each box covers the
    words' extents, the line's height and the drawn ink, clipped to the image.
    """
    boxes: list[Box] = []
    for line in layer.lines():
        run: list[Word] = []
        for word in (*line.words, None):
            if word is not None and word.drawn and word.text:
                run.append(word)
                continue
            height = max(line.y1 - line.y0, 1)
            for chunk in _split(run, max_aspect * height):
                ix0, iy0, ix1, iy1 = line_ink_region(line, chunk)
                box = (max(min(chunk[0].x0, ix0), 0), max(min(line.y0, iy0), 0),
                       min(max(chunk[-1].x1, ix1), layer.width),
                       min(max(line.y1, iy1), layer.height))
                if box[0] < box[2] and box[1] < box[3]:
                    boxes.append(box)
            run = []
    return boxes


def _split(words: list[Word], max_width: float) -> list[list[Word]]:
    """Consecutive groups of `words`, each at most `max_width` wide (a single word may exceed)."""
    groups: list[list[Word]] = []
    for word in words:
        if groups and word.x1 - groups[-1][0].x0 <= max_width:
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups


def _pad_box(box: Sequence[int], pad: int, height: int, width: int) -> Box | None:
    x0, y0, x1, y1 = (int(v) for v in box)
    x0, y0, x1, y1 = max(x0 - pad, 0), max(y0 - pad, 0), min(x1 + pad, width), min(y1 + pad, height)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _select(image: torch.Tensor, reference: torch.Tensor, boxes: list[Box],
            max_boxes: int) -> list[Box]:
    """At most `max_boxes` boxes: those where image and reference differ most, in input order."""
    if len(boxes) <= max_boxes:
        return boxes
    with torch.no_grad():
        diff = [float((image[..., y0:y1, x0:x1] - reference[..., y0:y1, x0:x1]).abs().mean())
                for x0, y0, x1, y1 in boxes]
    keep = sorted(sorted(range(len(boxes)), key=lambda i: -diff[i])[:max_boxes])
    return [boxes[i] for i in keep]


def _bucket_width(box: Box, min_width: int) -> int:
    w = resized_width(box[3] - box[1], box[2] - box[0])
    return max(min_width, -(-w // WIDTH_STEP) * WIDTH_STEP)


def ocr_loss(
    image: torch.Tensor,
    reference: torch.Tensor,
    boxes: Sequence[Sequence[int]],
    recognizer: Recognizer,
    *,
    pad: int = PAD,
    max_boxes: int = MAX_BOXES,
    max_batch: int = MAX_BATCH,
    min_width: int = MIN_WIDTH,
) -> torch.Tensor:
    """Scalar OCR loss of `image` against `reference`, both (1, 3, H, W) RGB in [0, 1].

    `boxes` are (x0, y0, x1, y1) pixel boxes (exclusive ends), padded by `pad` and clipped.
    Differentiable with respect to `image`; the reference is not differentiated. Zero (still
    attached to `image`) when no box lies inside the image.
    """
    if image.ndim != 4 or image.shape[0] != 1 or image.shape[1] != 3:
        raise ValueError(f"image must be (1, 3, H, W), got {tuple(image.shape)}")
    if reference.shape != image.shape:
        raise ValueError(f"reference {tuple(reference.shape)} != image {tuple(image.shape)}")
    height, width = image.shape[-2:]
    padded = [b for b in (_pad_box(box, pad, height, width) for box in boxes) if b is not None]
    reference = reference.detach()
    chosen = _select(image, reference, padded, max_boxes)
    if not chosen:
        return image.sum() * 0.0

    buckets: dict[int, list[Box]] = defaultdict(list)
    for box in chosen:
        buckets[_bucket_width(box, min_width)].append(box)
    total = image.new_zeros((), device=recognizer.device)
    for bucket_width, members in sorted(buckets.items()):
        for start in range(0, len(members), max_batch):
            batch = members[start:start + max_batch]
            total = total + _batch_loss(image, reference, batch, bucket_width, recognizer)
    return total / len(chosen)


def _prepare(recognizer: Recognizer, x: torch.Tensor, boxes: list[Box], width: int) -> torch.Tensor:
    crops = [recognizer.prepare(x[..., y0:y1, x0:x1], min_width=0) for x0, y0, x1, y1 in boxes]
    return torch.cat([F.pad(c, (0, width - c.shape[-1])) for c in crops])


def _batch_loss(image: torch.Tensor, reference: torch.Tensor, boxes: list[Box], width: int,
                recognizer: Recognizer) -> torch.Tensor:
    """Sum over `boxes` of each crop's mean per-frame loss (frames of the real crop only)."""
    with torch.no_grad():
        target = recognizer.logits(_prepare(recognizer, reference, boxes, width)).log_softmax(-1)
    logits = recognizer.logits(_prepare(recognizer, image, boxes, width))
    frames = logits.shape[1]
    per_frame = (target.exp() * (target - logits.log_softmax(-1))).sum(-1)  # (N, T)
    used = torch.tensor([-(-resized_width(y1 - y0, x1 - x0) * frames // width)
                         for x0, y0, x1, y1 in boxes], device=per_frame.device)
    mask = torch.arange(frames, device=per_frame.device)[None, :] < used[:, None]
    return ((per_frame * mask).sum(1) / used.clamp(min=1)).sum()
