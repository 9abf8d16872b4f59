"""Import compressai without torchvision (which would pull a CUDA build of torch).

compressai 1.2.8 touches torchvision at import only in `compressai.registry.transforms`, which
copies the capitalised names of `torchvision.transforms` into its transform registry. A stand-in
package with an empty `transforms` module satisfies that; nothing PICD uses needs torchvision.
A real torchvision, when installed, is left alone.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

_STANDIN_DOC = "Stand-in installed by picd_desktop.models.compressai_compat (no real torchvision)."


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
    tr = types.ModuleType("torchvision.transforms")
    tr.__doc__ = _STANDIN_DOC
    tv.transforms = tr  # type: ignore[attr-defined]
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.transforms"] = tr
    return True


def import_compressai() -> Any:
    """The compressai package, imported with the torchvision stand-in if needed."""
    install_torchvision_standin()
    import compressai

    return compressai


compressai = import_compressai()
