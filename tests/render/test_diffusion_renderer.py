"""The shipped diffusion renderer through the public API, the CLI and its weights' checks."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from screens import render_screenshot

from picd_desktop import api
from picd_desktop.format.errors import Cancelled, UnknownModelError
from picd_desktop.render.diffusion.pipeline import RenderSettings
from picd_desktop.render.diffusion.renderer import DiffusionRenderer, strength_for_steps
from picd_desktop.render.diffusion.scheduler import make_scheduler, sampling_timesteps
from picd_desktop.render.diffusion.weights import (
    CARD_FILE,
    DEFAULT_MODEL,
    WEIGHTS_FILE,
    load_render_net_from,
    model_dir,
)
from picd_desktop.verify import verify_image


@pytest.fixture(scope="module")
def picd_bytes() -> bytes:
    return api.encode(render_screenshot(), quality=1)


def test_diffusion_is_listed():
    assert "diffusion" in api.available_renderers()


def test_a_step_count_alone_keeps_the_default_spacing_of_time_steps():
    shipped = RenderSettings()
    assert DiffusionRenderer(device="cpu").settings.strength == shipped.strength
    sched = make_scheduler()
    schedules = {}
    for steps in (1, 2, 3, 4, 6, 8):
        settings = DiffusionRenderer(device="cpu", steps=steps).settings
        assert settings.steps == steps and settings.strength == strength_for_steps(steps)
        schedules[steps] = sampling_timesteps(sched, steps, settings.strength)
    # up to the largest trained time, k steps are the last k of one schedule ending at t = 99
    assert schedules[6] == [599, 499, 399, 299, 199, 99]
    for steps in (1, 2, 3, 4):
        assert schedules[steps] == schedules[6][-steps:]
    assert len(schedules[8]) == 8 and schedules[8][0] < 600  # more steps subdivide it
    assert DiffusionRenderer(device="cpu", steps=4, strength=0.2).settings.strength == 0.2


def test_decode_with_previews_is_seeded_and_keeps_the_text(picd_bytes):
    previews = []
    out = api.decode(picd_bytes, renderer="diffusion", device="cpu",
                     progress=lambda k, n, img: previews.append((k, n, img.size)))
    layer = api.read_text(picd_bytes)
    size = (layer.width, layer.height)
    assert out.size == size and out.mode == "RGB"
    steps = RenderSettings().steps  # the shipped default
    assert previews == [(k, steps, size) for k in range(1, steps + 1)]
    again = api.decode(picd_bytes, renderer="diffusion", device="cpu")
    assert np.array_equal(np.asarray(out), np.asarray(again))
    composite = api.decode(picd_bytes)
    assert not np.array_equal(np.asarray(out), np.asarray(composite))
    # the first principle: every word the composite shows right, the render shows right too
    ok_composite = verify_image(composite, layer).drawn_verified
    assert verify_image(out, layer).drawn_verified >= ok_composite - 1


def test_cancel_stops_the_render(picd_bytes):
    with pytest.raises(Cancelled):
        api.decode(picd_bytes, renderer="diffusion", device="cpu", cancel=lambda: True)


def test_cuda_without_a_gpu_is_a_clear_error(picd_bytes):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="CUDA"):
        api.decode(picd_bytes, renderer="diffusion", device="cuda")


def test_weights_that_differ_from_their_card_are_refused(tmp_path):
    folder = tmp_path / DEFAULT_MODEL
    shutil.copytree(model_dir(DEFAULT_MODEL), folder)
    assert load_render_net_from(folder) is not None
    data = bytearray((folder / WEIGHTS_FILE).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / WEIGHTS_FILE).write_bytes(bytes(data))
    with pytest.raises(UnknownModelError, match="does not match"):
        load_render_net_from(folder)
    (folder / CARD_FILE).unlink()
    with pytest.raises(UnknownModelError):
        load_render_net_from(folder)


def test_cli_decodes_with_the_diffusion_renderer(tmp_path, picd_bytes):
    src = tmp_path / "shot.picd"
    src.write_bytes(picd_bytes)
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "picd_desktop.cli", "decode", str(src),
                             "-o", str(out), "--renderer", "diffusion", "--steps", "1",
                             "--device", "cpu"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as img:
        assert img.size == (api.read_text(picd_bytes).width, api.read_text(picd_bytes).height)


def test_guided_decode_runs_and_ocr_guidance_lowers_its_loss(picd_bytes):
    import torch

    from picd_desktop.render.diffusion.guidance import GuidanceConfig, Guide
    from picd_desktop.render.diffusion.model import anchor_image
    from picd_desktop.render.diffusion.tensors import glyph_tensor, image_tensor
    from picd_desktop.text.glyphs import draw_glyphs

    out = api.decode(picd_bytes, renderer="diffusion", device="cpu", steps=1, guidance=True)
    assert out.size == api.decode(picd_bytes).size
    base, layer = api.decode_layers(picd_bytes)
    anchor = anchor_image(image_tensor(base), glyph_tensor(draw_glyphs(layer)))
    blurred = torch.nn.functional.avg_pool2d(anchor, 3, stride=1, padding=1)
    guide = Guide(GuidanceConfig(ocr=0.004, iters=2), layer, anchor)
    assert guide.boxes
    before = float(guide.losses(blurred)["ocr"])
    after = float(guide.losses(guide.refine(blurred))["ocr"])
    assert after < before
