"""sheetfollow: follow up on every lead in the spreadsheet you already have.

``import sheetfollow`` offers the command line's operations: ``sync(target, today=...)``,
``plan``, ``check``, ``preview`` and ``init``. They are loaded on first use, so importing the pure
core (``sheetfollow.engine``...) stays light.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "sync", "plan", "check", "preview", "init", "SyncReport",
           "CheckReport", "SheetfollowError"]


def __getattr__(name):
    if name == "SheetfollowError":
        from .errors import SheetfollowError

        return SheetfollowError
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'sheetfollow' has no attribute {name!r}")
