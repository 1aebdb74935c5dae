"""Template files on disk: the shipped defaults, overridden name by name by a user's folder,
and the templates compiled by earlier runs.

The only part of drafting that reads files; the result feeds ``drafts.TemplateLibrary``.
"""

from __future__ import annotations

import hashlib
import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2.bccache import Bucket, FileSystemBytecodeCache

from sheetfollow import __version__
from sheetfollow.drafts import template_key
from sheetfollow.errors import TemplateError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

SUFFIX = ".j2"


def _read_folder(folder: Traversable) -> dict[str, str]:
    """``{name: source}`` for every ``*.j2`` file directly in ``folder``."""
    sources: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        # Skip editor droppings such as ".#recap.j2" and "~recap.j2".
        if (not entry.name.endswith(SUFFIX) or entry.name.startswith((".", "~"))
                or not entry.is_file()):
            continue
        key = template_key(entry.name)
        if key is None:
            continue
        try:
            # utf-8-sig: Notepad may save a byte-order mark at the start.
            sources[key] = entry.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TemplateError(f"template {entry} is not UTF-8 text; save it as UTF-8") from None
        except OSError as error:
            raise TemplateError(f"cannot read template {entry}: {error.strerror}") from None
    return sources


def shipped_templates() -> dict[str, str]:
    """The default templates installed with sheetfollow."""
    return _read_folder(files("sheetfollow.templates"))


def load_template_dir(path: str | Path | None = None) -> dict[str, str]:
    """``{template_name: source}``: the shipped templates, overlaid by ``path``'s ``*.j2`` files.

    ``None`` gives the shipped templates alone. A template in ``path`` replaces the shipped one
    of the same name; shipped templates it does not replace stay available.
    """
    sources = shipped_templates()
    if path is None:
        return sources
    folder = Path(path).expanduser()
    if not folder.exists():
        raise TemplateError(f"templates folder {folder} not found; check the --templates path")
    if not folder.is_dir():
        raise TemplateError(f"templates folder {folder} is not a folder; give the folder that "
                            "holds the .j2 files")
    try:
        sources.update(_read_folder(folder))
    except OSError as error:
        raise TemplateError(f"cannot read templates folder {folder}: {error.strerror}") from None
    return sources


# -- compiled templates ------------------------------------------------------------------------

class CompiledTemplates(FileSystemBytecodeCache):
    """Templates compiled by an earlier run, kept in ``folder``: compiling the shipped ones takes
    a quarter of a second, loading them a few milliseconds. An entry is used only for the same
    source, the same sheetfollow and Jinja versions and the same sandbox settings; a folder that
    cannot be read or written just means compiling again."""

    def __init__(self, folder: Path):
        super().__init__(str(folder), "%s.jinja")
        self.folder = folder

    def get_bucket(self, environment: Any, name: str, filename: str | None,
                   source: str) -> Bucket:
        key = self.get_cache_key(f"{_settings_of(environment)}|{name}", filename)
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _settings_of(env: Any) -> str:
    """What, besides the source, the compiled code depends on."""
    settings = (__version__, type(env).__qualname__, env.block_start_string,
                env.variable_start_string, env.comment_start_string, env.line_statement_prefix,
                env.trim_blocks, env.lstrip_blocks, env.keep_trailing_newline, env.autoescape,
                env.optimized, env.finalize is not None, sorted(env.intercepted_binops),
                sorted(env.intercepted_unops), sorted(env.filters), sorted(env.tests))
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:16]


def compiled_templates() -> CompiledTemplates | None:
    """Where compiled templates are kept: ``SHEETFOLLOW_CACHE_DIR`` (empty: nowhere), else the
    user's cache folder."""
    folder = os.environ.get("SHEETFOLLOW_CACHE_DIR")
    if folder is not None:
        return CompiledTemplates(Path(folder).expanduser() / "templates") if folder else None
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        root = base / "sheetfollow" / "Cache"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches" / "sheetfollow"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sheetfollow"
    return CompiledTemplates(root / "templates")
