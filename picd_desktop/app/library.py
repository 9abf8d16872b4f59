"""The archive: a folder of `.picd` files the app adds to, lists and deletes (to the trash)."""

from __future__ import annotations

import io
import os
import shutil
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from picd_desktop import api
from picd_desktop.format.errors import OutputExistsError, PicdError, WriteError
from picd_desktop.fsutil import write_atomic
from picd_desktop.imageio import ImageSource, load_image

StageFn = Callable[[str, int, int], None]
SUFFIX = ".picd"


@dataclass(frozen=True)
class Entry:
    """One archived capture, described without decoding its image."""

    path: Path
    file_bytes: int
    created_ms: int
    width: int
    height: int
    png_bytes: int | None
    words: int

    @property
    def saved_bytes(self) -> int:
        """Bytes saved against the PNG of the same image (0 when unknown)."""
        return max(0, self.png_bytes - self.file_bytes) if self.png_bytes else 0

    @property
    def created(self) -> datetime:
        return datetime.fromtimestamp(self.created_ms / 1000)


@dataclass(frozen=True)
class Added:
    """What `Library.add` wrote."""

    path: Path
    file_bytes: int
    png_bytes: int


def png_size(image: Image.Image) -> int:
    """Bytes of `image` as a PNG (zlib level 6, what most tools write)."""
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=6)
    return buf.tell()


def source_png_bytes(source: ImageSource, rgb: Image.Image) -> int:
    """The PNG size of the input: the file's own size when it is a PNG file, else estimated."""
    if isinstance(source, str | os.PathLike) and str(source).lower().endswith(".png"):
        try:
            return Path(source).stat().st_size
        except OSError:
            pass
    return png_size(rgb)


def encode_entry(image: ImageSource, *, quality: float = api.DEFAULT_QUALITY,
                 lang: str = "eng", source: str = "capture", base: str | None = None,
                 stage: StageFn | None = None) -> tuple[bytes, int]:
    """`.picd` bytes of an archive entry (META: PNG size and source name) and the PNG size;
    `base`: a base codec id (None: the default)."""
    rgb = load_image(image)
    png = source_png_bytes(image, rgb)
    data = api.encode(rgb, quality=quality, lang=lang, stage=stage, base=base or None,
                      meta={"png_bytes": png, "source": source})
    return data, png


def read_entry(path: str | os.PathLike) -> Entry:
    """Describe one `.picd` file from its header, text layer and META (no image decoding)."""
    p = Path(path)
    meta = api.info(p)
    png = meta.meta.get("png_bytes")
    return Entry(
        path=p,
        file_bytes=meta.file_bytes,
        created_ms=meta.created_ms or int(p.stat().st_mtime * 1000),
        width=meta.width,
        height=meta.height,
        png_bytes=png if isinstance(png, int) and png > 0 else None,
        words=meta.words,
    )


class Library:
    """A folder of `.picd` captures; every write is atomic and nothing is overwritten."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder).expanduser()

    def ensure(self) -> Path:
        """Create the folder if needed (WriteError when impossible)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(f"cannot create the archive folder {self.folder}: "
                             f"{exc.strerror or exc}") from exc
        return self.folder

    def add(
        self,
        image: ImageSource,
        *,
        quality: float = api.DEFAULT_QUALITY,
        lang: str = "eng",
        name: str | None = None,
        base: str | None = None,
        stage: StageFn | None = None,
    ) -> Added:
        """Encode `image` and save it under a new unique name in the archive."""
        data, png = encode_entry(image, quality=quality, lang=lang, base=base,
                                 source=source_name(image), stage=stage)
        return self.add_encoded(data, png, name)

    def add_encoded(self, data: bytes, png_bytes: int, name: str | None = None) -> Added:
        """Save what `encode_entry` made (e.g. in `app.encoder`'s child) under a new name."""
        path = self.save(data, name or _capture_name())
        return Added(path, len(data), png_bytes)

    def save(self, data: bytes, stem: str) -> Path:
        """Write `data` as `<stem>.picd`, or `<stem>-2.picd` etc. if taken (race-safe)."""
        self.ensure()
        stem = Path(stem).stem if stem.endswith(SUFFIX) else stem
        for n in range(1, 10_000):
            path = self.folder / (f"{stem}{SUFFIX}" if n == 1 else f"{stem}-{n}{SUFFIX}")
            try:
                write_atomic(path, data)
            except OutputExistsError:
                continue
            return path
        raise WriteError(f"no free file name for {stem} in {self.folder}")

    def paths(self) -> list[Path]:
        """Every `.picd` file directly in the archive folder, sorted by name."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob(f"*{SUFFIX}") if p.is_file())

    def entries(self, errors: list[tuple[Path, str]] | None = None) -> list[Entry]:
        """All readable entries; unreadable files are reported in `errors` when given."""
        out = []
        for path in self.paths():
            try:
                out.append(read_entry(path))
            except (PicdError, OSError) as exc:
                if errors is not None:
                    errors.append((path, str(exc)))
        return out

    def thumbnail(self, path: str | os.PathLike) -> Image.Image | None:
        """The stored thumbnail of an entry (THUMB section), or None."""
        try:
            return api.read_thumbnail(path)
        except (PicdError, OSError):
            return None

    def delete(self, path: str | os.PathLike) -> Path:
        """Move an entry to the trash; returns where it went."""
        return move_to_trash(path)


def _capture_name() -> str:
    return time.strftime("capture-%Y%m%d-%H%M%S")


def source_name(image: ImageSource) -> str:
    """The file name of a path source, else "capture"."""
    if isinstance(image, str | os.PathLike):
        return Path(image).name
    return "capture"


def trash_dir() -> Path:
    """The home trash of the freedesktop.org trash spec."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local/share")
    return Path(data_home) / "Trash"


def move_to_trash(path: str | os.PathLike) -> Path:
    """Move a file to the trash (send2trash if installed, else the freedesktop home trash)."""
    src = Path(path).resolve()
    if not src.is_file():
        raise WriteError(f"cannot move {src} to the trash: not a file")
    try:
        from send2trash import send2trash  # optional; never a dependency
    except ImportError:
        send2trash = None
    if send2trash is not None and os.name != "posix":
        send2trash(str(src))
        return src
    return _freedesktop_trash(src)


def _freedesktop_trash(src: Path) -> Path:
    trash = trash_dir()
    files, info = trash / "files", trash / "info"
    try:
        files.mkdir(parents=True, exist_ok=True, mode=0o700)
        info.mkdir(parents=True, exist_ok=True, mode=0o700)
        name, fd = _reserve_info(info, src.name)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("[Trash Info]\n"
                    f"Path={urllib.parse.quote(str(src))}\n"
                    f"DeletionDate={time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
        target = files / name
        try:
            shutil.move(str(src), str(target))
        except OSError:
            (info / f"{name}.trashinfo").unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise WriteError(f"cannot move {src} to the trash: {exc.strerror or exc}") from exc
    return target


def _reserve_info(info: Path, name: str) -> tuple[str, int]:
    """A free trash name, reserved by creating its .trashinfo exclusively."""
    stem, suffix = os.path.splitext(name)
    for n in range(1, 10_000):
        candidate = name if n == 1 else f"{stem}.{n}{suffix}"
        try:
            fd = os.open(info / f"{candidate}.trashinfo", os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o600)
        except FileExistsError:
            continue
        return candidate, fd
    raise WriteError(f"no free name for {name} in the trash")
