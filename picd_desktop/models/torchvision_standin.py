"""A minimal `torchvision` stand-in (torchvision from PyPI would pull a CUDA build of torch).

compressai 1.2.8 touches torchvision at import only in `compressai.registry.transforms`, which
copies the capitalised names of `torchvision.transforms` into its transform registry: an empty
`transforms` module satisfies that. onnx2torch imports `torchvision.ops.roi_align` at import
time (for ONNX RoiAlign, which the OCR recogniser does not use), so the stand-in also has an
`ops` module whose functions raise. A real torchvision, when installed, is left alone.
This module imports nothing heavy, so the OCR recogniser can use it without compressai.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

_STANDIN_DOC = "Stand-in from picd_desktop.models.torchvision_standin (no real torchvision)."


def install_torchvision_standin() -> bool:
    """Put a minimal `torchvision` / `torchvision.transforms` into sys.modules unless a real
    torchvision is importable. Returns True when the stand-in is (now) in place."""
    existing = sys.modules.get("torchvision")
    if existing is not None:
        return getattr(existing, "__doc__", None) == _STANDIN_DOC
    if importlib.util.find_spec("torchvision") is not None:
        return False
    tv = types.ModuleType("torchvision")
    tv.__doc__ = _STANDIN_DOC
    tv.__path__ = []  # a package, so `import torchvision.transforms` resolves below
    # A spec, so importlib.util.find_spec("torchvision") (diffusers asks) does not raise;
    # there is no distribution metadata, so such checks still find no real torchvision.
    tv.__spec__ = importlib.machinery.ModuleSpec("torchvision", None, is_package=True)
    tr = types.ModuleType("torchvision.transforms")
    tr.__doc__ = _STANDIN_DOC
    tr.__spec__ = importlib.machinery.ModuleSpec("torchvision.transforms", None)
    tv.transforms = tr  # type: ignore[attr-defined]
    ops = types.ModuleType("torchvision.ops")
    ops.__doc__ = _STANDIN_DOC
    for name in ("roi_align", "nms", "box_convert"):
        setattr(ops, name, _unavailable(f"torchvision.ops.{name}"))
    tv.ops = ops  # type: ignore[attr-defined]
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.transforms"] = tr
    sys.modules["torchvision.ops"] = ops
    return True


def _unavailable(name: str) -> Any:
    """A function standing in for `name` that raises when called."""

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise NotImplementedError(f"{name} is not available (torchvision stand-in)")

    fail.__name__ = name.rsplit(".", 1)[-1]
    return fail
