"""Encode and decode a learned payload in a fresh process at 1 and 2 torch threads, with
deterministic algorithms off and on (no OMP_THREAD_LIMIT there, so 2 threads really run)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from picd_desktop.base.learned import LearnedCodec
from picd_desktop.text.coder import encode_layer
from picd_desktop.text.layer import TextLayer

_SCRIPT = """
import hashlib, sys, torch
from pathlib import Path
from PIL import Image
from picd_desktop.base.learned import LearnedCodec
from picd_desktop.text.coder import decode_layer
img = Image.open(sys.argv[1]).convert("RGB")
layer = decode_layer(open(sys.argv[2], "rb").read())
data = open(sys.argv[3], "rb").read()
quality = float(sys.argv[4])
codec = LearnedCodec(Path(sys.argv[5]).name, directory=Path(sys.argv[5])) if sys.argv[5] \\
    else LearnedCodec()
for threads in (1, 2):
    for det in (False, True):
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(det)
        assert torch.get_num_threads() == threads
        enc = codec.encode(img, quality, layer=layer)
        out = codec.decode(data, img.size, layer)
        print(hashlib.sha256(enc).hexdigest(), hashlib.sha256(out.tobytes()).hexdigest())
"""


def check_threads_and_algorithms(codec: LearnedCodec, img: Image.Image, layer: TextLayer,
                                 quality: float, tmp_path: Path,
                                 model: Path | None = None) -> None:
    """Encode here; there, 4 runs must give this payload and this decode, bit for bit."""
    data = codec.encode(img, quality, layer=layer)
    ref = (hashlib.sha256(data).hexdigest(),
           hashlib.sha256(codec.decode(data, img.size, layer).tobytes()).hexdigest())
    img.save(tmp_path / "a.png")
    (tmp_path / "a.layer").write_bytes(encode_layer(layer))
    (tmp_path / "a.base").write_bytes(data)
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    run = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path / "a.png"),
                          str(tmp_path / "a.layer"), str(tmp_path / "a.base"), str(quality),
                          str(model or "")],
                         env=env, capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).parents[1])
    assert run.returncode == 0, run.stderr[-2000:]
    got = [tuple(line.split()) for line in run.stdout.split("\n") if line.strip()]
    assert got == [ref] * 4
