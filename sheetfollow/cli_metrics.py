"""The ``metrics`` command: print the Metrics figures of a workbook (read only).

Kept out of cli.py beside its own module; cli.py registers it with ``cli.add_command(metrics)``.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from .errors import SheetfollowError
from .metrics import metrics_rows
from .metrics_io import metrics_for_target
from .model import WriteValue

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _iso_date(ctx, param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD, e.g. 2026-11-23",
                                 ctx, param) from None


@click.command(context_settings=CONTEXT)
@click.argument("target")
@click.option("--today", metavar="YYYY-MM-DD", default=None, callback=_iso_date,
              help="Pretend today is this date (default: today in the Settings' time zone).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def metrics(target, today, as_json):
    """Print the follow-up metrics: pipeline, due today, response and conversion rates.

    The figures are those the next sync would write to the Metrics tab; nothing is written.

    \b
    --json prints one object:
      as_of            the date the figures are for (YYYY-MM-DD)
      log              {"events": read, "ignored_rows": unreadable}
      min_sample       below this many data points a rate says "too few data"
      pipeline         [{"stage", "kind", "leads", "value"}], in stage map order
      open_pipeline    {"leads", "value"} over the open stages
      today            {"due_today", "overdue", "value_at_risk"}: figures
      follow_up        {"on_time_rate", "conversion_rate", "touches_to_close",
                        "revenue_recovered"}: figures
      response_rate_by_touch  [{"touch": "1".."5" or "6+", ...figure}]
    A figure is {"value", "sample", "unit", "detail", "too_few_data"} plus "part" (the
    numerator) for rates; rates are fractions from 0 to 1, value is null when too few data.
    """
    try:
        result = metrics_for_target(target, today)
    except SheetfollowError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    for line in text_lines(metrics_rows(result)):
        click.echo(line)


def text_lines(rows: list[list[WriteValue]]) -> list[str]:
    """The Metrics tab's rows as aligned text: labels left, values right, details after (the
    pipeline's Value column, numbers, aligns right too)."""
    cells = [[_text(v) for v in row] + [""] * (3 - len(row)) for row in rows]
    numbers = [_is_number(row[2]) if len(row) > 2 else False for row in rows]
    # A heading above a column of numbers aligns with them.
    right = [n or (i + 1 < len(rows) and numbers[i + 1]) for i, n in enumerate(numbers)]
    widths = [max(len(r[c]) for r in cells) for c in range(2)]
    number_width = max((len(r[2]) for r, a in zip(cells, right, strict=True) if a), default=0)
    lines = []
    for row, shown, align in zip(rows, cells, right, strict=True):
        if not row:
            lines.append("")
            continue
        detail = shown[2].rjust(number_width) if align else shown[2]
        lines.append(f"{shown[0].ljust(widths[0])}  {shown[1].rjust(widths[1])}  {detail}"
                     .rstrip())
    return lines


def _is_number(value: WriteValue) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: WriteValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return format(int(value) if float(value).is_integer() else value, ",")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
