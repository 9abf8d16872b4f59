"""PICD Desktop: screenshots compressed with a lossless text layer and a lossy base layer."""

__version__ = "0.1.0"
