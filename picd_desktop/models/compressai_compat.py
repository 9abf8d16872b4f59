"""Import compressai without torchvision (which would pull a CUDA build of torch).

compressai 1.2.8 imports torchvision only to fill its transform registry; the stand-in of
`torchvision_standin` satisfies that, and nothing PICD uses needs torchvision.
"""

from __future__ import annotations

from typing import Any

from picd_desktop.models.torchvision_standin import install_torchvision_standin

__all__ = ["import_compressai", "install_torchvision_standin"]


def import_compressai() -> Any:
    """The compressai package, imported with the torchvision stand-in if needed."""
    install_torchvision_standin()
    import compressai

    return compressai
