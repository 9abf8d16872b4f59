"""User settings of the desktop app, persisted as JSON in the platform config folder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from picd_desktop.fsutil import write_atomic

APP_NAME = "picd-desktop"
DECODE_SEED = 0  # renders are reproducible: the same file always gives the same picture
DEVICES = ("auto", "cpu", "cuda")


def default_archive_dir() -> str:
    """The archive folder under the platform's user data dir."""
    return str(Path(user_data_dir(APP_NAME)) / "archive")


def config_path() -> Path:
    """Where settings.json lives."""
    return Path(user_config_dir(APP_NAME)) / "settings.json"


@dataclass
class Settings:
    """Everything the user can change in the settings dialog."""

    quality: int = 3
    renderer: str = "composite"
    steps: int = 2
    device: str = "auto"
    guidance: bool = False
    langs: str = "eng"
    archive_dir: str = ""
    capture_delay_s: int = 0
    base_codec: str = ""  # base-layer codec id for new captures ("": the API's default)

    def __post_init__(self) -> None:
        if not self.archive_dir:
            self.archive_dir = default_archive_dir()

    @property
    def archive_path(self) -> Path:
        return Path(self.archive_dir).expanduser()

    def validated(self) -> Settings:
        """A copy with every field clamped to a usable value."""
        return Settings(
            quality=min(8, max(1, int(self.quality))),
            renderer=str(self.renderer) or "composite",
            steps=min(1000, max(1, int(self.steps))),
            device=self.device if self.device in DEVICES else "auto",
            guidance=bool(self.guidance),
            langs=str(self.langs).strip() or "eng",
            archive_dir=str(self.archive_dir),
            capture_delay_s=min(60, max(0, int(self.capture_delay_s))),
            base_codec=str(self.base_codec or "").strip(),
        )


def load(path: str | os.PathLike | None = None) -> Settings:
    """Settings from `path` (default: config_path()); defaults for anything missing or bad."""
    target = Path(path) if path is not None else config_path()
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    known = {f.name for f in fields(Settings)}
    try:
        return Settings(**{k: v for k, v in raw.items() if k in known}).validated()
    except (TypeError, ValueError):
        return Settings()


def save(settings: Settings, path: str | os.PathLike | None = None) -> Path:
    """Write `settings` atomically; returns the path written."""
    target = Path(path) if path is not None else config_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(asdict(settings.validated()), indent=2, sort_keys=True) + "\n"
    write_atomic(target, data.encode("utf-8"), overwrite=True)
    return target


def decode_options(settings: Settings, accepted: Iterable[str] | None = None) -> dict:
    """`api.decode` keywords for `settings`: renderer, device and steps; guidance and a fixed
    seed for a renderer other than "composite". Only the names in `accepted` (default: the
    parameters of `api.decode`) are passed, so an older API never sees an unknown keyword."""
    options: dict = {"renderer": settings.renderer}
    if settings.renderer != "composite":
        options.update(device=settings.device, steps=settings.steps,
                       guidance=settings.guidance, seed=DECODE_SEED)
    if accepted is None:
        import inspect

        from picd_desktop import api

        accepted = inspect.signature(api.decode).parameters
    names = set(accepted)
    return {k: v for k, v in options.items() if k in names}


def device_label(device: str = "auto") -> str:
    """'GPU' or 'CPU': what a decode with `device` runs on (imports torch: call off the UI)."""
    if device == "cpu":
        return "CPU"
    try:
        import torch
    except Exception:  # noqa: BLE001 (not installed, or a broken build: either way no GPU)
        return "CPU"
    return "GPU" if torch.cuda.is_available() else "CPU"
