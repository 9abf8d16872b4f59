"""Renderers by name: "composite" built in; "diffusion" loaded lazily when installed."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

from picd_desktop.format.errors import UnknownModelError
from picd_desktop.render.composite import CompositeRenderer
from picd_desktop.render.renderer import Renderer

RendererFactory = Callable[..., Renderer]

_FACTORIES: dict[str, RendererFactory] = {"composite": lambda **_: CompositeRenderer()}
# name -> (module:class, packages it needs, shipped model folder under resources/models)
_LAZY: dict[str, tuple[str, tuple[str, ...], str]] = {
    "diffusion": ("picd_desktop.render.diffusion.renderer:DiffusionRenderer", ("diffusers",),
                  "render-v3"),
}


def register(name: str, factory: RendererFactory) -> None:
    """Make `factory(**options)` available as renderer `name` (replaces an earlier one)."""
    _FACTORIES[name] = factory


def _installed(name: str) -> bool:
    from picd_desktop.resources import resource_path  # noqa: PLC0415

    _, packages, model = _LAZY[name]
    return (all(importlib.util.find_spec(p) is not None for p in packages)
            and (resource_path("models") / model / "card.json").exists())


def available_renderers() -> list[str]:
    """Names of the usable renderers (lazy ones only when their packages and weights are
    installed), sorted."""
    return sorted(set(_FACTORIES) | {n for n in _LAZY if n not in _FACTORIES and _installed(n)})


def get_renderer(name: str, **options: object) -> Renderer:
    """A new renderer `name`; ValueError listing the known names if it is unknown,
    UnknownModelError when it needs a package or weights that are not installed."""
    if name not in _FACTORIES and name in _LAZY:
        if not _installed(name):
            raise UnknownModelError(f"renderer {name!r} is not installed (it needs the "
                                    f"packages {', '.join(_LAZY[name][1])} and its weights)")
        module, _, cls = _LAZY[name][0].partition(":")
        register(name, getattr(importlib.import_module(module), cls))
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(
            f"unknown renderer {name!r}; available: {', '.join(available_renderers())}"
        ) from None
    return factory(**options)
