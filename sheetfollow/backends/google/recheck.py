"""Between the read and the write, people keep editing the sheet: find each written Leads row
again by its ID (or, for a lead whose ID this sync assigns, by its inputs), and leave alone the
rows whose inputs changed meanwhile (SPEC 9, ``RowKey``).

A lead left alone is left alone everywhere: its Leads cells, its state row and its Log events
stay as they were (its Done tick on the Due tab too), so the next sync sees it exactly as this
one did and handles it then. A Done box ticked during the sync stays ticked for the next one.

The Sheets API has no conditional write, so an edit in the instant between this re-read and the
batchUpdate that follows it can still be missed; the window is one round trip, not a whole sync.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from ...changeset import ChangeSet, RowAppend, RowKey
from ...columns import map_columns
from ...layout import DUE, DUE_HEADER, LOG, LOG_HEADER, STATE, STATE_HEADER
from ...leads import LeadsTab
from ...model import CellError, Grid, Value
from ...values import as_text, read_yes


@dataclass
class Recheck:
    """The change set with Leads rows moved to where they are now, and what was left alone."""

    changes: ChangeSet
    skipped: list[str] = field(default_factory=list)  # messages, for ApplyResult.skipped_rows
    skipped_ids: set[str] = field(default_factory=set)


def same_inputs(a: tuple[Value, ...], b: tuple[Value, ...]) -> bool:
    return _key(a) == _key(b)


def _key(values: tuple[Value, ...]) -> tuple:
    out = []
    for v in values:
        if isinstance(v, CellError):
            v = str(v)
        elif v == "":
            v = None
        elif type(v) is float and v.is_integer():
            v = int(v)
        out.append(v)
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


def _trimmed(row: list[Value]) -> list[Value]:
    row = [None if v == "" else v for v in row]
    while row and row[-1] is None:
        row.pop()
    return row


def recheck(changes: ChangeSet, read: Grid, now: Grid) -> Recheck:
    """Move the change set's Leads cells from the rows ``read`` had to the rows ``now`` has."""
    tab = (changes.id_tab or "").strip().casefold()
    mine = [c for c in changes.cells if c.tab.strip().casefold() == tab]
    others = [c for c in changes.cells if c.tab.strip().casefold() != tab]
    assigned = {c.row: as_text(c.value) for c in mine if c.col == changes.id_col and c.row > 1}

    def name(row: int, key: RowKey) -> str:
        lead = key.lead_id or assigned.get(row)
        return f"{now.name} row {row}" + (f" ({lead})" if lead else "")

    result = Recheck(changes)
    targets: dict[int, int] = {}
    header = now.rows[0] if now.rows else []
    if _trimmed(read.rows[0] if read.rows else []) != _trimmed(header):
        for row, key in changes.row_keys.items():
            _skip(result, name(row, key), key, assigned.get(row),
                  "the header row changed during the sync")
        mine = []
    else:
        targets = _targets(changes, now, map_columns(header, now.name), result, name, assigned)
    moved = []
    for c in mine:
        row = c.row if c.row == 1 or c.row not in changes.row_keys else targets.get(c.row)
        # A formula typed or cells merged meanwhile: the cell is the user's, or would not show.
        if row is not None and not now.is_formula(row, c.col) and not now.merge_over(row, c.col):
            moved.append(c if row == c.row else replace(c, row=row))
    result.changes = replace(changes, cells=others + moved,
                             row_keys={targets[r]: k for r, k in changes.row_keys.items()
                                       if r in targets})
    return result


def _targets(changes: ChangeSet, now: Grid, columns, result: Recheck, name, assigned
             ) -> dict[int, int]:
    """Written row as read -> the row it is now, for every row that is safe to write."""
    current = LeadsTab(now, columns, [], {})
    id_col = changes.id_col
    by_id: dict[str, list[int]] = defaultdict(list)
    unnamed: dict[tuple, list[int]] = defaultdict(list)  # inputs -> rows without an ID
    for row in range(2, now.height + 1):
        lead_id = as_text(now.cell(row, id_col)) if id_col else ""
        if lead_id:
            by_id[lead_id].append(row)
        else:
            unnamed[_key(current.inputs(row))].append(row)
    targets: dict[int, int] = {}
    for row, key in changes.row_keys.items():
        if key.lead_id:
            found = by_id.get(key.lead_id, [])
            if not found:
                reason = "its row was deleted during the sync"
            elif len(found) > 1:
                # A row copied with its ID (the copy gets a new one): the ID cannot tell the
                # rows apart, but a row still in its place with the inputs as read is the one.
                if row in found and same_inputs(current.inputs(row), key.inputs):
                    targets[row] = row
                    continue
                reason = f"its ID is in {len(found)} rows now"
            elif not same_inputs(current.inputs(found[0]), key.inputs):
                reason = "it was edited during the sync"
            else:
                targets[row] = found[0]
                continue
        else:
            found = unnamed.get(_key(key.inputs), [])
            if row in found or len(found) == 1:
                targets[row] = row if row in found else found[0]
                continue
            reason = ("it was edited or deleted during the sync" if not found
                      else "it was copied to other rows during the sync")
        _skip(result, name(row, key), key, assigned.get(row), reason)
    claimed = Counter(targets.values())
    for row, target in list(targets.items()):
        if claimed[target] > 1:  # two leads found in one row: write neither
            key = changes.row_keys[row]
            _skip(result, name(row, key), key, assigned.get(row),
                  "it could not be told apart from another lead")
            del targets[row]
    return targets


def _skip(result: Recheck, where: str, key: RowKey, assigned: str | None, reason: str) -> None:
    result.skipped.append(f"{where}: {reason}; left as it was, the next sync will update it")
    lead = key.lead_id or assigned
    if lead:
        result.skipped_ids.add(lead)


def forget(changes: ChangeSet, skipped: set[str], read_state: Grid | None) -> ChangeSet:
    """The change set without the state changes and Log events of the ``skipped`` leads: their
    state rows stay as read."""
    if not skipped:
        return changes
    tabs = [replace(t, rows=_keep_state(t.rows, skipped, read_state))
            if t.tab.strip().casefold() == STATE.casefold() else t for t in changes.tabs]
    id_at = LOG_HEADER.index("ID")
    appends = []
    for a in changes.appends:
        if a.tab.strip().casefold() == LOG.casefold():
            a = RowAppend(a.tab, a.header, [r for r in a.rows
                                            if len(r) <= id_at or as_text(r[id_at]) not in skipped])
            if not a.rows:
                continue
        appends.append(a)
    return replace(changes, tabs=tabs, appends=appends)


def _keep_state(rows: list[list], skipped: set[str], old: Grid | None) -> list[list]:
    id_at = STATE_HEADER.index("ID")
    before = {}
    if old is not None:
        for r in old.rows[1:]:
            if len(r) > id_at and as_text(r[id_at]) in skipped:
                before[as_text(r[id_at])] = list(r)
    out = rows[:1]
    for r in rows[1:]:
        lead = as_text(r[id_at]) if len(r) > id_at else ""
        if lead not in skipped:
            out.append(r)
        elif lead in before:
            out.append(before[lead])
    return out


def ticked(due: Grid | None) -> set[str]:
    """The IDs whose Done box is ticked on a Due tab."""
    if due is None or not due.rows:
        return set()
    header = [as_text(v) for v in due.rows[0]]
    if "Done" not in header or "ID" not in header:
        return set()
    done, id_at = header.index("Done") + 1, header.index("ID") + 1
    return {as_text(due.cell(r, id_at)) for r in range(2, due.height + 1)
            if read_yes(due.cell(r, done))}


def keep_ticks(changes: ChangeSet, ids: set[str]) -> ChangeSet:
    """The change set with the Done boxes of ``ids`` left ticked on the new Due tab: ticks the
    sync did not record (their lead was left alone, or the tick came during the sync)."""
    if not ids:
        return changes
    done, id_at = DUE_HEADER.index("Done"), DUE_HEADER.index("ID")
    tabs = []
    for t in changes.tabs:
        if t.tab.strip().casefold() == DUE.casefold():
            rows = [list(r) for r in t.rows]
            for r in rows[1:]:
                if len(r) > id_at and as_text(r[id_at]) in ids and isinstance(r[done], bool):
                    r[done] = True
            t = replace(t, rows=rows)
        tabs.append(t)
    return replace(changes, tabs=tabs)
