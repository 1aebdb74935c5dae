"""Small helpers the test modules share (fixtures live in conftest.py)."""

import datetime as dt

from sheetfollow.model import EPOCH_1900


def serial(day: dt.date) -> int:
    """A date as the serial number spreadsheets store (1900 date system)."""
    return (day - EPOCH_1900).days
