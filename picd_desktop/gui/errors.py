"""Exceptions -> (title, message) a user can act on. Never a traceback."""

from __future__ import annotations

from picd_desktop.app.capture import CaptureError, NoDisplayError
from picd_desktop.format import errors as e

_FORMAT_HINT = "The file may be damaged or incomplete (an interrupted copy or download)."

_TITLES: list[tuple[type[BaseException], str, str]] = [
    (e.BadMagicError, "Not a PICD file", "This file is not a .picd file."),
    (e.TruncatedError, "Corrupt file", "The file is truncated. " + _FORMAT_HINT),
    (e.ChecksumError, "Corrupt file", "The file failed its checksum. " + _FORMAT_HINT),
    (e.UnsupportedVersionError, "Newer file format",
     "The file was written by a newer PICD version. Update PICD Desktop to open it."),
    (e.UnknownModelError, "Missing codec or model",
     "The file needs a codec or model this installation does not have."),
    (e.FormatError, "Corrupt file", "The file cannot be read. " + _FORMAT_HINT),
    (e.OcrUnavailableError, "Tesseract is missing",
     "Text recognition needs Tesseract OCR (and the language data you chose). Install it, "
     "e.g. `sudo apt install tesseract-ocr`, or pick another language in Settings."),
    (e.OcrFailedError, "Text recognition failed", "Tesseract failed on this image."),
    (e.InputImageError, "Cannot open image", "The image cannot be read."),
    (e.DiskFullError, "Disk full", "Nothing was written: the disk is full. Free some space "
     "or choose another archive folder in Settings."),
    (e.OutputExistsError, "File exists", "The file already exists and was not overwritten."),
    (e.WriteError, "Cannot write file", "The file could not be written."),
    (e.FileAccessError, "Cannot open file", "The file cannot be read."),
    (NoDisplayError, "No screen to capture",
     "There is no X display to capture (a headless or Wayland-only session)."),
    (CaptureError, "Capture failed", "The screen could not be captured."),
    (e.Cancelled, "Cancelled", "The operation was cancelled."),
    (e.PicdError, "Error", "The operation failed."),
]


def describe(exc: BaseException) -> tuple[str, str]:
    """A dialog title and a short message (the technical detail on its own line)."""
    if isinstance(exc, MemoryError):
        return ("Out of memory", "There is not enough memory for this image. Close other "
                "programs, or use a smaller image or the composite renderer.")
    for cls, title, text in _TITLES:
        if isinstance(exc, cls):
            return title, _with_detail(text, exc)
    if isinstance(exc, OSError):
        if exc.errno is not None and exc.errno in (28, 122):  # ENOSPC, EDQUOT
            return "Disk full", _with_detail("Nothing was written: the disk is full.", exc)
        return "File error", _with_detail("A file operation failed.", exc)
    if isinstance(exc, ValueError):
        return "Invalid value", _with_detail("A setting or input is not valid.", exc)
    return "Unexpected error", _with_detail(
        "Something went wrong. The app keeps running; please report this.", exc)


def _with_detail(text: str, exc: BaseException) -> str:
    detail = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        detail = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return f"{text}\n\nDetails: {detail}"
