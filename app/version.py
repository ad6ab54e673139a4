"""The one version: the installed package's metadata, whose source is pyproject.toml."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("losslab")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "0+unknown"
