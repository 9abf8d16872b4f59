"""The typed error hierarchy of PICD. Every failure a user can cause is one of these."""

from __future__ import annotations


class PicdError(Exception):
    """Base class of every error PICD raises on purpose."""


class FormatError(PicdError):
    """A `.picd` file is malformed."""


class BadMagicError(FormatError):
    """The file does not start with the PICD magic bytes (not a .picd file)."""


class TruncatedError(FormatError):
    """The file ends before a structure it announces."""


class UnsupportedVersionError(FormatError):
    """The file's format version is newer than this reader."""


class ChecksumError(FormatError):
    """A section's CRC32 does not match its payload."""


class LimitError(FormatError):
    """A length, count or dimension exceeds what the reader accepts."""


class MissingSectionError(FormatError):
    """A required section is absent."""


class UnknownModelError(PicdError):
    """The file needs a model or codec (id + sha256) this installation does not have."""


class TextLayerError(FormatError):
    """The text layer payload cannot be decoded."""


class BaseLayerError(FormatError):
    """The base layer payload cannot be decoded."""


class InputImageError(PicdError):
    """An input image cannot be read, is empty, or is too large."""


class OcrUnavailableError(PicdError):
    """Tesseract (or a requested language) is not installed."""


class OcrFailedError(PicdError):
    """Tesseract is installed but crashed, failed or timed out on this image."""


class OutputExistsError(PicdError):
    """Refusing to overwrite an existing file without force."""


class Cancelled(PicdError):
    """The operation was cancelled by the caller."""


class FileAccessError(PicdError):
    """A path cannot be read: missing, a directory, not a regular file, or permission denied."""


class WriteError(PicdError):
    """An output file cannot be written (permissions, missing folder, I/O error)."""


class DiskFullError(WriteError):
    """The disk (or the user's quota) is full; nothing was written."""
