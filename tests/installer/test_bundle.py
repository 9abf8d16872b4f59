"""The PyInstaller bundle (slow: builds it, ~2-5 min on 2 cores): installer/build.sh from this
checkout, then the bundled `picd` and `picd-desktop` run headless, as a user would run them:
encode/decode (composite and diffusion renderers) and the GUI's first window."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from picd_desktop import __version__

sys.path.insert(0, str(Path(__file__).parent))
from bundle_tools import (  # noqa: E402
    BUNDLE,
    ROOT,
    time_to_window_offscreen,
    time_to_window_x11,
    user_env,
    xvfb,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]  # the first test builds the bundle
SAMPLE = ROOT / "resources" / "samples" / "web_git_config.png"


@pytest.fixture(scope="module")
def bundle() -> Path:
    """Build the bundle (and the tarball) with installer/build.sh."""
    proc = subprocess.run(["bash", str(ROOT / "installer" / "build.sh")], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "build: bundle" in proc.stdout
    return BUNDLE


def run_picd(bundle: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(bundle / "picd"), *args], env=env, capture_output=True,
                          text=True, timeout=600)


def picd(bundle: Path, env: dict[str, str], *args: str) -> str:
    proc = run_picd(bundle, env, *args)
    assert proc.returncode == 0, f"picd {' '.join(args)}: {proc.stderr[-2000:]}"
    return proc.stdout.strip()


def require_tesseract() -> None:
    if shutil.which("tesseract") is None:
        pytest.fail("tesseract is a system dependency of the bundle and is not installed")


def test_bundled_cli_encodes_and_decodes_headless(bundle: Path, tmp_path: Path) -> None:
    env = user_env(tmp_path / "home")  # no DISPLAY, no Qt: headless
    assert picd(bundle, env, "--version") == f"picd {__version__}"
    require_tesseract()
    source = np.asarray(Image.open(SAMPLE).convert("RGB"))
    for name, extra in (("lossy", ()), ("lossless", ("--lossless",))):
        packed, out = tmp_path / f"{name}.picd", tmp_path / f"{name}.png"
        picd(bundle, env, "encode", str(SAMPLE), "-o", str(packed), *extra)
        assert packed.read_bytes()[:8] == b"\x89PICD\r\n\x1a"
        assert "words" in picd(bundle, env, "info", str(packed)).lower()
        picd(bundle, env, "decode", str(packed), "-o", str(out))
        decoded = np.asarray(Image.open(out).convert("RGB"))
        assert decoded.shape == source.shape
        if name == "lossless":  # JPEG XL through imagecodecs, inside the bundle
            assert np.array_equal(decoded, source)
        else:
            assert np.abs(decoded.astype(int) - source).mean() < 20
    assert "git" in picd(bundle, env, "text", str(tmp_path / "lossy.picd")).lower()


def test_bundled_diffusion_renderer(bundle: Path, tmp_path: Path) -> None:
    """The diffusion renderer (torch model, diffusers' DDIM scheduler, shipped weights) runs
    from the bundle, and so does OCR guidance (onnx2torch and the bundled recogniser)."""
    env = user_env(tmp_path / "home")
    require_tesseract()
    packed = tmp_path / "sample.picd"
    picd(bundle, env, "encode", str(SAMPLE), "-o", str(packed))
    # No command lists renderers; an unknown name gets api.available_renderers() in its error.
    unknown = run_picd(bundle, env, "decode", str(packed), "-o", str(tmp_path / "x.png"),
                       "--renderer", "no-such-renderer")
    assert unknown.returncode == 2, unknown.stderr[-2000:]
    assert "available: composite, diffusion" in unknown.stderr
    out, plain = tmp_path / "diffusion.png", tmp_path / "composite.png"
    picd(bundle, env, "decode", str(packed), "-o", str(out), "--renderer", "diffusion",
         "--steps", "1", "--device", "cpu")
    picd(bundle, env, "decode", str(packed), "-o", str(plain))
    source = np.asarray(Image.open(SAMPLE).convert("RGB")).astype(int)
    rendered = Image.open(out)
    assert rendered.mode == "RGB"
    rendered = np.asarray(rendered).astype(int)
    assert rendered.shape == source.shape
    assert np.abs(rendered - source).mean() < 20
    assert not np.array_equal(rendered, np.asarray(Image.open(plain).convert("RGB")))
    # The same seeded render from the source tree: the bundled model, weights and scheduler
    # are the real ones (on this sample the render differs from the composite by <= 2 levels,
    # so only an exact match tells them apart).
    import torch

    from picd_desktop import api

    torch.set_num_threads(1)
    reference = api.decode(packed.read_bytes(), renderer="diffusion", device="cpu", steps=1)
    assert np.array_equal(rendered, np.asarray(reference).astype(int))
    assert (bundle / "_internal" / "resources" / "ocr" / "PP-OCRv6_rec_small.onnx").is_file()
    picd(bundle, env, "decode", str(packed), "-o", str(tmp_path / "g.png"), "--renderer",
         "diffusion", "--steps", "1", "--device", "cpu", "--guidance")
    guided = np.asarray(Image.open(tmp_path / "g.png").convert("RGB")).astype(int)
    reference = api.decode(packed.read_bytes(), renderer="diffusion", device="cpu", steps=1,
                           guidance=True)
    # Guidance back-propagates through the recogniser; its float rounding is not bit-exact
    # between the bundle and the source tree (a few pixels by a few levels; the base layer
    # and the unguided render above are exact).
    off = np.abs(guided - np.asarray(reference).astype(int))
    assert (off > 0).mean() < 0.001 and off.max() <= 8, ((off > 0).sum(), off.max())
    assert (guided != rendered).any(axis=2).sum() > 500  # the guidance changed the picture


def test_bundled_gui_starts_offscreen(bundle: Path, tmp_path: Path) -> None:
    """With QT_QPA_PLATFORM=offscreen and PICD_QUIT_AFTER_SHOWN=1 the app shows its window,
    prints "shown" and quits with status 0."""
    seconds = time_to_window_offscreen([str(bundle / "picd-desktop")],
                                       user_env(tmp_path / "home"), timeout=90)
    assert seconds < 90


def test_bundled_gui_shows_a_window_on_x11(bundle: Path, tmp_path: Path) -> None:
    """The xcb platform plugin and its libraries in the bundle work: the main window maps on
    a private Xvfb display (watched with xwininfo, no hook needed)."""
    missing = [tool for tool in ("Xvfb", "xwininfo") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing (apt-get install xvfb x11-utils)")
    with xvfb() as display:
        seconds = time_to_window_x11([str(bundle / "picd-desktop")],
                                     user_env(tmp_path / "home"), display, timeout=90)
    assert seconds < 90
