"""What every command shares: the error a user can fix, and reading a date argument."""

from __future__ import annotations

from datetime import date


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""



def is_iso_date(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return len(name) == 10


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"{what} {value!r} is not a date; use YYYY-MM-DD, e.g. 2025-12-31"
        ) from None
