"""Finding the Leads columns by their headers, whatever the user called them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .changeset import column_letter
from .layout import LEAD_COLUMNS
from .model import Value

_IGNORED = re.compile(r"[\s_\-]+")


def normalize_header(text: object) -> str:
    """Headers compare ignoring case, spaces, ``_`` and ``-``: "Last_Contact" == "last contact"."""
    return _IGNORED.sub("", str(text)).casefold() if text is not None else ""


_ALIASES: dict[str, str] = {
    normalize_header(alias): field_name
    for field_name, aliases in LEAD_COLUMNS.items()
    for alias in aliases
}


@dataclass
class ColumnMap:
    """Which 1-based column holds each known field, plus what the header row revealed."""

    fields: dict[str, int] = field(default_factory=dict)
    headers: dict[int, str] = field(default_factory=dict)  # every non-empty header cell
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str) -> int | None:
        return self.fields.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.fields


def map_columns(header: list[Value], tab: str = "Leads") -> ColumnMap:
    """Map the header row to fields. The first column wins when two name the same field."""
    result = ColumnMap()
    for col, text in enumerate(header, start=1):
        if text is None or str(text).strip() == "":
            continue
        result.headers[col] = str(text).strip()
        name = _ALIASES.get(normalize_header(text))
        if name is None:
            continue
        if name in result.fields:
            first = result.fields[name]
            result.warnings.append(
                f"{tab}: columns {column_letter(first)} and {column_letter(col)} are both "
                f"{LEAD_COLUMNS[name][0]}; sheetfollow uses {column_letter(first)}. "
                f"Rename or delete one of them."
            )
            continue
        result.fields[name] = col
    return result
