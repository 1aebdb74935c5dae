"""A one-line status on stderr for long runs on a terminal: ``reading...``, ``planning...``,
``writing...``. Silent under cron, in pipes, with --quiet and with --json (SPEC 10)."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Shows the current step of a run, each step overwriting the last; ``done`` (or leaving
    the ``with`` block) clears the line so the command's own output starts on a clean line."""

    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = enabled
        self._stream = stream
        self._width = 0  # characters on the status line now

    @classmethod
    def for_terminal(cls, *, quiet: bool = False, as_json: bool = False,
                     stream: TextIO | None = None) -> Progress:
        """Enabled only when stderr is a terminal and the user asked for neither --quiet nor
        --json."""
        out = stream or sys.stderr
        isatty = getattr(out, "isatty", None)
        return cls(bool(not quiet and not as_json and isatty and isatty()), out)

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    def step(self, label: str) -> None:
        """Show ``label...`` in place of the previous step."""
        if not self.enabled:
            return
        text = f"{label}..."
        # "\r" and spaces rather than an ANSI erase: works on every terminal, Windows' included.
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def done(self) -> None:
        """Clear the status line."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.done()
