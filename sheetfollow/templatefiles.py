"""Template files on disk: the shipped defaults, overridden name by name by a user's folder.

The only part of drafting that reads files; the result feeds ``drafts.TemplateLibrary``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

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
