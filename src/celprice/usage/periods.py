"""Time for the ledger: aware datetimes to integer microseconds, and the
windows and buckets of `/usage/breakdown`.

Times are stored as microseconds since the Unix epoch (UTC) so that both
databases bucket them with the same integer arithmetic, exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .errors import LedgerError

__all__ = ["RANGES", "DEFAULT_RANGE", "DAY", "Window", "window", "to_micros", "iso_z"]

_US = 1_000_000
_MINUTE, _HOUR, DAY = 60 * _US, 3600 * _US, 86400 * _US

# range -> (length, bucket step, label format of a bucket)
RANGES: dict[str, tuple[int, int, str]] = {
    "1h": (_HOUR, _MINUTE, "%Y-%m-%dT%H:%M:00Z"),
    "1d": (DAY, _HOUR, "%Y-%m-%dT%H:00:00Z"),
    "7d": (7 * DAY, DAY, "%Y-%m-%d"),
    "30d": (30 * DAY, DAY, "%Y-%m-%d"),
    "90d": (90 * DAY, DAY, "%Y-%m-%d"),
}
DEFAULT_RANGE = "30d"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Bounds that keep every window, the one before it and their labels inside
# what datetime can print.
_EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc)
_ONE_MICROSECOND = timedelta(microseconds=1)
EARLIEST_US, LATEST_US = (_EARLIEST - _EPOCH) // _ONE_MICROSECOND, (_LATEST - _EPOCH) // _ONE_MICROSECOND


def to_micros(value: object, what: str) -> int:
    """Microseconds since the epoch of a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise LedgerError(f"{what} must be a timezone-aware datetime, got {type(value).__name__}")
    if value.utcoffset() is None:  # also when tzinfo is None
        raise LedgerError(
            f"{what} is a naive datetime ({value.isoformat()}); give it a timezone, "
            "for example datetime.now(timezone.utc)"
        )
    micros = (value - _EPOCH) // _ONE_MICROSECOND
    if not EARLIEST_US <= micros < LATEST_US:
        raise LedgerError(f"{what} must be between {_EARLIEST.date()} and {_LATEST.date()}, got {value.isoformat()}")
    return micros


def _datetime(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def iso_z(micros: int) -> str:
    """ISO 8601 in UTC with `Z`; fractional seconds only when there are any."""
    moment = _datetime(micros)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


@dataclass(frozen=True)
class Window:
    """`[start, end]` in microseconds, cut into `buckets` steps of `step` from `start`."""

    start: int
    end: int
    step: int
    buckets: int
    label_format: str

    def labels(self) -> list[str]:
        """Every bucket's `date` label, oldest first."""
        return [_datetime(self.start + n * self.step).strftime(self.label_format) for n in range(self.buckets)]

    @property
    def previous(self) -> tuple[int, int]:
        """The window of the same duration just before this one, as `[start, end)`."""
        return self.start - (self.end - self.start), self.start


def window(range_: object, now: int) -> Window:
    """The breakdown window of `range_` ending at `now`: its start is `now - range`
    truncated down to the bucket step, so the first bucket is whole."""
    if not isinstance(range_, str) or range_ not in RANGES:
        shown = repr(range_) if isinstance(range_, str) else type(range_).__name__
        raise LedgerError(f"range must be one of {', '.join(RANGES)}; got {shown}")
    length, step, label_format = RANGES[range_]
    start = (now - length) // step * step
    return Window(start, now, step, (now - start) // step + 1, label_format)
