"""circo — open-source campaign platform for French elections."""

__version__ = "0.1.0"
