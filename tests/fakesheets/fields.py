"""Field masks (`properties.timeZone,sheets(properties(title,sheetId))`): parse and apply."""

from __future__ import annotations

from typing import Any

from .errors import invalid

# A mask is a tree: name -> subtree, where None means "this field and everything under it".
Mask = dict[str, "Mask | None"]


def parse_mask(text: str) -> Mask:
    """Parse a mask; `*` selects everything and yields {"*": None}.

    Google accepts `/` as well as `.` between names (gspread sends `gridProperties/rowCount`).
    """
    tree: Mask = {}
    normal = text.replace(" ", "").replace("/", ".")
    if _parse_list(normal, 0, tree) != len(normal):
        raise invalid(f"Invalid field selection {text}")
    return tree


def _parse_list(text: str, pos: int, tree: Mask) -> int:
    while pos < len(text):
        pos = _parse_path(text, pos, tree)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        break
    return pos


def _parse_path(text: str, pos: int, tree: Mask) -> int:
    start = pos
    while pos < len(text) and text[pos] not in ",()":
        pos += 1
    names = [n for n in text[start:pos].split(".") if n]
    if not names:
        raise invalid(f"Invalid field selection {text}")
    node = tree
    for name in names[:-1]:
        child = node.get(name, {})
        if child is None:  # already selected whole
            return _skip_group(text, pos)
        node = node.setdefault(name, child)
    last = names[-1]
    if pos < len(text) and text[pos] == "(":
        child = node.get(last, {})
        if child is None:
            return _skip_group(text, pos)
        node[last] = child
        pos = _parse_list(text, pos + 1, child)
        if pos >= len(text) or text[pos] != ")":
            raise invalid(f"Invalid field selection {text}")
        return pos + 1
    node[last] = None
    return pos


def _skip_group(text: str, pos: int) -> int:
    if pos < len(text) and text[pos] == "(":
        depth = 0
        while pos < len(text):
            depth += {"(": 1, ")": -1}.get(text[pos], 0)
            pos += 1
            if depth == 0:
                break
    return pos


def apply_mask(value: Any, mask: Mask | None) -> Any:
    """Keep only the masked fields; lists are filtered element by element."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply_mask(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: apply_mask(value[k], sub) for k, sub in mask.items() if k in value}


def mask_paths(mask: Mask, prefix: str = "") -> list[str]:
    """Flatten a mask to dotted paths: `userEnteredFormat(numberFormat)` -> [...numberFormat]."""
    paths = []
    for name, sub in mask.items():
        path = f"{prefix}{name}"
        paths.extend([path] if sub is None or not sub else mask_paths(sub, path + "."))
    return paths


def selects_grid_data(mask: Mask) -> bool:
    """Whether a spreadsheets.get mask asks for cells (sheets.data, or all of sheets)."""
    if "*" in mask or ("sheets" in mask and mask["sheets"] is None):
        return True
    sheets = mask.get("sheets") or {}
    return "*" in sheets or "data" in sheets
