"""Editing a user's sheet at the byte level: made in pieces it is the same as made whole, and
the quick searches (cell formats, formulas) agree with the full ones on unusual rows."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from sheetfollow.backends.excel.cells import EMPTY, encode
from sheetfollow.backends.excel.sheetxml import SheetEditor

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
EPOCH = dt.date(1899, 12, 30)


def sheet(rows: list[str], prefix: str = "") -> bytes:
    p = prefix
    xmlns = f'xmlns:{p[:-1]}="{MAIN}"' if p else f'xmlns="{MAIN}"'
    return (f'<{p}worksheet {xmlns}><{p}dimension ref="A1:C3"/><{p}sheetData>'
            + "".join(rows) + f"</{p}sheetData></{p}worksheet>").encode()


SHEETS = {
    "usual": sheet([f'<row r="{r}"><c r="A{r}" s="2"><v>{r}</v></c>'
                    f'<c r="C{r}" t="inlineStr"><is><t>x{r}</t></is></c></row>'
                    for r in range(1, 1200)]),
    "prefixed": sheet([f'<x:row r="{r}"><x:c r="A{r}" s="2"><x:v>{r}</x:v></x:c>'
                       f'<x:c r="C{r}" s="5"/></x:row>' for r in range(1, 700)], "x:"),
    "without r": sheet([f'<row><c><v>{r}</v></c><c s="3"><v>2</v></c></row>'
                        for r in range(1, 600)]),
    "rich text": sheet([f'<row r="{r}" spans="1:4"><c r="A{r}" t="inlineStr"><is><r><rPr>'
                        f'<color rgb="FF0000"/></rPr><t>r="B{r}"</t></r></is></c>'
                        f'<c r="D{r}" s="4"><v>1</v></c></row>' for r in range(1, 600)]),
    "gaps": sheet([f'<row r="{r * 3}">\n<c r="B{r * 3}" s="6"><v>1</v></c> </row>\n'
                   for r in range(1, 700)]),
    "colons in text": sheet([f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Note:call</t>'
                             f'</is></c><c r="E{r}" s="4"/></row>' for r in range(1, 600)]),
    "empty": b'<worksheet xmlns="' + MAIN.encode() + b'"><sheetData/></worksheet>',
}
VALUES = ["text", "a & b", "", None, 3, 2.5, dt.date(2026, 1, 5), True, "  spaced"]


def writes(editor: SheetEditor, rng: random.Random, count: int) -> dict[int, dict[int, object]]:
    last = max([r.number for r in editor.rows] + [5])
    cells: dict[int, dict[int, object]] = {}
    for _ in range(count):
        cells.setdefault(rng.randint(1, last + 30), {})[rng.randint(1, 8)] = rng.choice(VALUES)
    return cells


def maker(cells, prefix):
    def make(row, col, style):
        value = cells[row][col]
        encoded = encode(value, EPOCH, prefix) if value is not None else EMPTY
        return (f"date-{style}" if encoded.is_date else style), encoded
    return make


@pytest.mark.parametrize("name", SHEETS)
@pytest.mark.parametrize("count", [3, 400, 3000])
def test_a_sheet_made_in_pieces_is_the_sheet_made_whole(name, count):
    rng = random.Random(count)
    xml = SHEETS[name]
    editor = SheetEditor(xml)
    cells = writes(editor, rng, count)
    part = editor.render(cells, maker(cells, editor.prefix))
    units = len(part.costs)
    whole = b"".join(part.make(0, units))
    assert whole.count(b"<row") + whole.count(b"<x:row") >= len(editor.rows)
    for _ in range(3):
        cuts = sorted(rng.sample(range(1, units), min(units - 1, rng.randint(1, 4)))) \
            if units > 1 else []
        bounds = [0, *cuts, units]
        fresh = SheetEditor(xml)  # as another process would make its pieces
        fresh_part = fresh.render(cells, maker(cells, fresh.prefix))
        assert b"".join(b"".join(fresh_part.make(a, b))
                        for a, b in zip(bounds, bounds[1:], strict=False)) == whole


@pytest.mark.parametrize("name", SHEETS)
def test_the_quick_format_lookup_agrees_with_the_full_one(name):
    editor = SheetEditor(SHEETS[name])
    numbers = [r.number for r in editor.rows[:80]] + [10_000]
    for number in numbers:
        for col in range(1, 7):
            assert editor.cell_style(number, col) == editor.style_of(number, col), (number, col)


@pytest.mark.parametrize(("rows", "prefix", "expected"), [
    ('<row r="1"><c r="A1"><v>1</v></c></row>', "", False),
    ('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>', "", True),
    ('<row r="1"><c r="A1"><f t="shared" si="0"/><v>2</v></c></row>', "", True),
    ('<x:row r="1"><x:c r="A1"><x:f>1+1</x:f></x:c></x:row>', "x:", True),
    ('<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a:f</x:t></x:is></x:c></x:row>', "x:",
     False),
    ('<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><family val="2"/></rPr><t>x</t></r></is>'
     "</c></row>", "", False),
])
def test_formulas_are_found_however_the_sheet_is_written(rows, prefix, expected):
    assert SheetEditor(sheet([rows], prefix)).has_formulas() is expected
