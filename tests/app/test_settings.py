"""Settings: defaults, JSON round trip, tolerance of bad files."""

from __future__ import annotations

import json
from pathlib import Path

from picd_desktop.app import settings as store
from picd_desktop.app.settings import Settings


def test_defaults_follow_the_brief(xdg_home: Path) -> None:
    s = Settings()
    assert (s.quality, s.renderer, s.steps, s.device, s.guidance, s.langs) == (
        3, "composite", 2, "auto", False, "eng")
    assert Path(s.archive_dir) == xdg_home / "xdg-data" / "picd-desktop" / "archive"
    assert store.config_path() == xdg_home / "xdg-config" / "picd-desktop" / "settings.json"


def test_round_trip_through_the_config_folder() -> None:
    s = Settings(quality=5, renderer="composite", steps=8, device="cpu", guidance=True,
                 langs="eng+deu", archive_dir="/tmp/somewhere", capture_delay_s=3)
    path = store.save(s)
    assert path == store.config_path()
    assert json.loads(path.read_text())["langs"] == "eng+deu"
    assert store.load() == s


def test_missing_or_bad_files_give_defaults(tmp_path: Path) -> None:
    assert store.load(tmp_path / "none.json") == Settings()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert store.load(bad) == Settings()
    bad.write_text("[1, 2]")
    assert store.load(bad) == Settings()
    bad.write_text(json.dumps({"quality": "high"}))
    assert store.load(bad) == Settings()


def test_values_are_clamped_and_unknown_keys_ignored(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"quality": 99, "steps": 0, "device": "tpu", "langs": " ",
                                "capture_delay_s": -4, "future_key": 1}))
    s = store.load(path)
    assert (s.quality, s.steps, s.device, s.langs, s.capture_delay_s) == (8, 1, "auto", "eng", 0)


def test_device_label_cpu_when_forced() -> None:
    assert store.device_label("cpu") == "CPU"
    assert store.device_label("auto") in ("CPU", "GPU")


def test_decode_options_follow_the_renderer() -> None:
    from picd_desktop.app.settings import decode_options

    composite = Settings(renderer="composite", steps=8, device="cuda", guidance=True)
    assert decode_options(composite) == {"renderer": "composite"}
    every = ("renderer", "device", "steps", "guidance", "seed")
    diffusion = Settings(renderer="diffusion", steps=8, device="cuda", guidance=True)
    assert decode_options(diffusion, every) == {"renderer": "diffusion", "device": "cuda",
                                                "steps": 8, "guidance": True, "seed": 0}
    # an API without guidance/seed is never handed a keyword it does not take
    assert decode_options(diffusion, ("renderer", "device", "steps")) == {
        "renderer": "diffusion", "device": "cuda", "steps": 8}
