"""What can go wrong setting replay up, as errors the user can act on."""

from __future__ import annotations


class ReplayError(RuntimeError):
    """Base class for replay setup problems the user can act on."""


class ReplayEnvError(ReplayError):
    """The separate pywb virtualenv is missing or incomplete."""


class CollectionError(ReplayError):
    """The archive directory cannot be turned into a consistent pywb collection."""


class WaybackStartError(ReplayError):
    """wayback exited or never answered; the message carries the tail of its log."""
