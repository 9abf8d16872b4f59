"""Atomic file writes: the target holds either its old content or the complete new one."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from pathlib import Path

from picd_desktop.format.errors import DiskFullError, OutputExistsError, WriteError

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _default_mode() -> int:
    """0o666 minus the process umask (read without changing it where the OS allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # not thread-safe; only where /proc is missing
    os.umask(mask)
    return 0o666 & ~mask


def _error(exc: OSError, path: str) -> WriteError:
    """Map an OSError to DiskFullError (ENOSPC/EDQUOT) or WriteError, naming the path."""
    reason = exc.strerror or str(exc)
    if exc.errno in _DISK_FULL:
        return DiskFullError(f"cannot write {path}: disk full ({reason})")
    return WriteError(f"cannot write {path}: {reason}")


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        n = os.write(fd, data)
        data = data[n:]


def _fsync_dir(folder: str) -> None:
    """Make the rename durable; best effort (not possible on every OS/file system)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _publish_no_clobber(tmp: str, path: str) -> None:
    """Move `tmp` to `path`, refusing (race-safely) if `path` exists."""
    try:
        os.link(tmp, path)  # atomic, fails with EEXIST if the target exists
    except FileExistsError:
        raise OutputExistsError(f"{path} exists (pass overwrite=True to replace it)") from None
    except OSError as exc:
        if exc.errno not in {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK,
                             errno.ENOSYS, errno.EACCES}:
            raise
        # No hard links on this file system (FAT, some network shares): reserve the
        # name with O_EXCL, then replace our own placeholder.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise OutputExistsError(
                f"{path} exists (pass overwrite=True to replace it)"
            ) from None
        os.close(fd)
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
    else:
        _remove(tmp)


def write_atomic(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False) -> None:
    """Write `data` to `path` atomically (temp file in the same folder, fsync, rename).

    Without `overwrite`, an existing target raises OutputExistsError (checked atomically with
    a hard link where the file system has them). ENOSPC/EDQUOT raise DiskFullError, any other
    OSError WriteError; the temp file is removed on every failure.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    if not overwrite and os.path.lexists(target):  # fast path; the real check is atomic
        raise OutputExistsError(f"{target} exists (pass overwrite=True to replace it)")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{Path(target).name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _error(exc, target) from exc
    try:
        try:
            _write_all(fd, memoryview(data).cast("B"))
            if hasattr(os, "fchmod"):  # mkstemp makes 0600; give the usual permissions
                os.fchmod(fd, _keep_mode(target) if overwrite else _default_mode())
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, target)
        else:
            _publish_no_clobber(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise _error(exc, target) from exc
    except BaseException:
        _remove(tmp)
        raise
    _fsync_dir(folder)


def _keep_mode(target: str) -> int:
    """The permission bits of the file being replaced, or the default for a new file."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        return _default_mode()


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
