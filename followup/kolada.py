"""A small client for Kolada's v3 API (https://api.kolada.se/v3): urllib from the standard library, with
tenacity for the retries.

Real-world behaviour it handles: at most 25 ids in one path part (larger requests are split), paging
through `next_url`, genders picked by their `gender` field (never by position), retries with back-off on
HTTP 429, 5xx, time-outs and lost connections (a bounded number of tries, honouring Retry-After up to
`max_backoff`), and a clear error for any other 4xx and for a response that is not the JSON expected.
Every request batch logs a progress line (logger `followup.kolada`, level INFO).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime

import tenacity

from .errors import FollowupError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.kolada.se/v3"
MAX_IDS = 25
GENDERS = {"T", "K", "M"}


class KoladaError(FollowupError):
    """The API answered with an error, or with something that is not what v3 returns."""


class Transient(Exception):
    """A failure that may pass (429, 5xx, a time-out, a lost connection): the request is tried again."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def chunks(ids: list[str], size: int = MAX_IDS) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date; None if absent or unreadable."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _http_error(url: str, exc: urllib.error.HTTPError) -> Exception:
    """What an HTTP error status means: a Transient for 429 and 5xx, a KoladaError with the body otherwise."""
    if exc.code == 429 or exc.code >= 500:
        return Transient(f"HTTP {exc.code}", retry_after(exc.headers.get("Retry-After") if exc.headers else None))
    detail = exc.read()[:300].decode("utf-8", "replace").strip()
    return KoladaError(f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else ""))


@dataclass
class Client:
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0
    tries: int = 5
    backoff: float = 1.0  # seconds before the first retry; doubled for each further one
    max_backoff: float = 30.0  # the longest wait, also for a Retry-After
    sleep: object = time.sleep  # tests pass a function that does not sleep
    urls: list[str] = field(default_factory=list)  # every URL fetched, in order (recorded in the manifest)

    def url(self, *parts: str, **query) -> str:
        path = "/".join(urllib.parse.quote(p, safe=",") for p in parts)
        q = ("?" + urllib.parse.urlencode(query)) if query else ""
        return f"{self.base_url.rstrip('/')}/{path}{q}"

    def get_json(self, url: str):
        """GET one URL and parse its JSON, retrying what may pass (429, 5xx, time-outs, lost connections)."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.tries),
            wait=self._wait,
            sleep=self.sleep,
            retry=tenacity.retry_if_exception_type(Transient),
            before_sleep=self._announce,
        )
        try:
            return retrying(self._get_once, url)
        except tenacity.RetryError as exc:
            last = exc.last_attempt.exception()
            raise KoladaError(f"{url}: gave up after {self.tries} tries (last: {last.reason})") from None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Exponential back-off, or the server's Retry-After if longer; never more than max_backoff."""
        delay = min(self.backoff * 2 ** (state.attempt_number - 1), self.max_backoff)
        after = state.outcome.exception().retry_after
        return delay if after is None else max(delay, min(after, self.max_backoff))

    def _announce(self, state: tenacity.RetryCallState) -> None:
        reason = state.outcome.exception().reason
        log.info(
            "  %s; retrying in %g s (try %d of %d)",
            reason,
            state.next_action.sleep,
            state.attempt_number + 1,
            self.tries,
        )

    def _get_once(self, url: str):
        request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "borlange-followup"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise _http_error(url, exc) from None
        except TimeoutError as exc:
            raise Transient(f"time-out ({exc})") from None
        except (ConnectionError, http.client.HTTPException) as exc:  # reset, closed early, cut short
            raise Transient(f"connection lost ({type(exc).__name__})") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise Transient("time-out") from None
            raise KoladaError(f"{url}: cannot connect ({exc.reason})") from None
        self.urls.append(url)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KoladaError(f"{url}: the response is not valid JSON ({exc})") from None

    def get_all(self, url: str, what: str) -> list[dict]:
        """Every row of a listing, following `next_url` across pages."""
        rows, page = [], 1
        while url:
            body = self.get_json(url)
            if isinstance(body, list):  # tolerate a bare list
                rows += body
                break
            if not isinstance(body, dict) or not isinstance(body.get("values"), list):
                raise KoladaError(f"{url}: expected an object with a 'values' list, got {type(body).__name__}")
            rows += body["values"]
            log.info("  %s: page %d, %d rows", what, page, len(body["values"]))
            url, page = body.get("next_url"), page + 1
        return rows

    # ------------------------------------------------------------ the calls the fetch needs

    def metadata(self, kind: str, ids: list[str], what: str) -> list[dict]:
        """Metadata objects by id (`kind`: kpi, municipality, municipality_groups), at most 25 ids a request."""
        out = []
        for part in chunks(ids):
            out += self.get_all(self.url(kind, ",".join(part)), f"{what} ({len(part)} ids)")
        return out

    def kpis(self, ids: list[str]) -> list[dict]:
        return self.metadata("kpi", ids, "KPI metadata")

    def municipalities(self, ids: list[str]) -> list[dict]:
        return self.metadata("municipality", ids, "municipalities")

    def groups(self, ids: list[str]) -> list[dict]:
        return self.metadata("municipality_groups", ids, "groups")

    def data(self, kpis: list[str], municipalities: list[str], years: list[int]) -> list[dict]:
        """Value rows flattened to kpi, municipality, year, gender, value, status."""
        rows = []
        year_parts = chunks([str(y) for y in years])
        for i, kpi_part in enumerate(chunks(kpis)):
            for muni_part in chunks(municipalities):
                for year_part in year_parts:
                    url = self.url(
                        "data",
                        "kpi",
                        ",".join(kpi_part),
                        "municipality",
                        ",".join(muni_part),
                        "year",
                        ",".join(year_part),
                    )
                    what = (
                        f"values, KPIs {i * MAX_IDS + 1}–{i * MAX_IDS + len(kpi_part)} of {len(kpis)}, "
                        f"{len(muni_part)} municipalities, {len(year_part)} years"
                    )
                    rows += flatten(self.get_all(url, what), url)
        return rows


def flatten(rows: list[dict], url: str) -> list[dict]:
    """v3 data rows to one row per gender; the genders are picked by their `gender` field."""
    out = []
    for i, row in enumerate(rows):
        if row.get("isdeleted"):
            continue
        try:
            kpi, muni, year, values = row["kpi"], row["municipality"], int(row["period"]), row["values"]
        except (KeyError, TypeError, ValueError):
            raise KoladaError(f"{url}: row {i} lacks kpi, municipality, period or values: {str(row)[:200]}") from None
        for entry in values:
            gender = entry.get("gender")
            if gender not in GENDERS:
                raise KoladaError(f"{url}: row {i} ({kpi}, {muni}, {year}): unknown gender {gender!r}")
            value = entry.get("value")
            if value is not None and not isinstance(value, (int, float)):
                raise KoladaError(f"{url}: row {i} ({kpi}, {muni}, {year}, {gender}): value {value!r} is not a number")
            status = (entry.get("status") or "").strip()
            if value is None and not status:
                status = "Värde saknas i Kolada (ingen orsak angiven)"
            out.append(
                {
                    "kpi": kpi,
                    "municipality": str(muni),
                    "year": year,
                    "gender": gender,
                    "value": value,
                    "status": status,
                }
            )
    return out
