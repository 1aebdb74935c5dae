"""Native charts on a tool tab (the Metrics charts) as Sheets API requests: added with the tab,
and afterwards updated only when what they draw (ranges, title, type) changed.

The charts of a tool tab are the tool's, like its cells: each wanted chart takes over the tab's
chart of the same title, else the next one left, and charts the tab no longer needs are deleted.
A chart follows its cells by itself, so new figures in the same ranges need no request at all.
"""

from __future__ import annotations

from ...changeset import CHART_COLUMNS, CHART_ROWS, Chart
from .a1 import a1_grid_range

# Chart size in pixels: CHART_COLUMNS x CHART_ROWS cells of Google's default size (100 x 21).
CHART_WIDTH, CHART_HEIGHT = CHART_COLUMNS * 100, CHART_ROWS * 21
# What the read asks of every chart: enough to tell whether one needs updating.
CHART_FIELDS = "charts(chartId,spec(title,basicChart(chartType,domains,series)))"
_RANGE_KEYS = ("sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")


def chart_spec(chart: Chart, sheet_id: int) -> dict:
    """The ChartSpec of ``chart``: a bar or column chart of one series without a legend."""
    # ``series_name`` is not sent: the API names a series only after a header row in its
    # range, and without a legend the name would show nowhere.
    bar = chart.kind == "bar"
    return {
        "title": chart.title,
        "basicChart": {
            "chartType": "BAR" if bar else "COLUMN",
            "legendPosition": "NO_LEGEND",  # one series: the title names it
            "headerCount": 0,
            "domains": [{"domain": {"sourceRange": {
                "sources": [a1_grid_range(sheet_id, chart.categories)]}}}],
            "series": [{"series": {"sourceRange": {
                "sources": [a1_grid_range(sheet_id, chart.values)]}},
                "targetAxis": "BOTTOM_AXIS" if bar else "LEFT_AXIS"}],
        },
    }


def chart_requests(sheet_id: int, existing: list[dict], charts: tuple[Chart, ...]) -> list[dict]:
    """The requests that make the charts of the tab ``sheet_id``, which has the ``existing``
    EmbeddedCharts (as the read gives them), draw ``charts``: none when they already do."""
    left = list(existing)
    pairs: list[tuple[Chart, dict | None]] = []
    for chart in charts:
        same = next((e for e in left if (e.get("spec") or {}).get("title") == chart.title), None)
        if same is not None:
            left.remove(same)
        pairs.append((chart, same))
    pairs = [(chart, old if old is not None else (left.pop(0) if left else None))
             for chart, old in pairs]
    requests = []
    for chart, old in pairs:
        spec = chart_spec(chart, sheet_id)
        if old is None:
            anchor = a1_grid_range(sheet_id, chart.anchor)
            requests.append({"addChart": {"chart": {"spec": spec, "position": {
                "overlayPosition": {
                    "anchorCell": {"sheetId": sheet_id, "rowIndex": anchor["startRowIndex"],
                                   "columnIndex": anchor["startColumnIndex"]},
                    "widthPixels": CHART_WIDTH, "heightPixels": CHART_HEIGHT}}}}})
        elif _drawn(old.get("spec") or {}) != _drawn(spec):
            requests.append({"updateChartSpec": {"chartId": old["chartId"], "spec": spec}})
    requests += [{"deleteEmbeddedObject": {"objectId": e["chartId"]}} for e in left]
    return requests


def _drawn(spec: dict) -> tuple:
    """What a chart draws, comparable between a spec sent and one read back (the API leaves
    out zero and default values)."""
    basic = spec.get("basicChart") or {}

    def sources(items: list[dict], key: str) -> tuple:
        return tuple(tuple(tuple(source.get(k, 0) for k in _RANGE_KEYS)
                           for source in ((item.get(key) or {}).get("sourceRange") or {})
                           .get("sources", []))
                     for item in items)

    return (spec.get("title", ""), basic.get("chartType"),
            sources(basic.get("domains") or [], "domain"),
            sources(basic.get("series") or [], "series"))
