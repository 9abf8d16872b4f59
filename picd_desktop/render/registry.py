"""Renderers by name: "composite" built in, others (e.g. "diffusion") registered later."""

from __future__ import annotations

from collections.abc import Callable

from picd_desktop.render.composite import CompositeRenderer
from picd_desktop.render.renderer import Renderer

RendererFactory = Callable[..., Renderer]

_FACTORIES: dict[str, RendererFactory] = {"composite": lambda **_: CompositeRenderer()}


def register(name: str, factory: RendererFactory) -> None:
    """Make `factory(**options)` available as renderer `name` (replaces an earlier one)."""
    _FACTORIES[name] = factory


def available_renderers() -> list[str]:
    """Names of the registered renderers, sorted."""
    return sorted(_FACTORIES)


def get_renderer(name: str, **options: object) -> Renderer:
    """A new renderer `name`; ValueError listing the known names if it is unknown."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(
            f"unknown renderer {name!r}; available: {', '.join(available_renderers())}"
        ) from None
    return factory(**options)
