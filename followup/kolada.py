"""A small client for Kolada's v3 API (https://api.kolada.se/v3): urllib from the standard library, with
tenacity for the retries.

Real-world behaviour it handles: at most 25 ids in one path part (larger requests are split; Kolada answers
more with HTTP 422), pages of at most 5 000 rows (`per_page`; more is a 422 too) followed through `next_url`
until it is null or a page comes back empty (Kolada can give a `next_url` that leads to an empty page),
genders picked by their `gender` field (never by position), deleted values dropped (`isdeleted` on a row and
on each gender entry), titles that arrive double-encoded (`Ã¤` for `ä`) repaired or refused, retries with
back-off on HTTP 429, 5xx, time-outs and lost connections (a bounded number of tries, honouring Retry-After
up to `max_backoff`), and a clear error, with the response's body, for any other 4xx and for a response that
is not the JSON expected. A value's `status` is kept as Kolada gave it ("Missing" for a null value; see
followup.statuses for how the report words it). Every request batch logs a progress line (logger
`followup.kolada`, level INFO).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime

import tenacity

from .constants import DEFAULT_BASE_URL  # noqa: F401 (re-exported)
from .errors import FollowupError

log = logging.getLogger(__name__)

MAX_IDS = 25
MAX_PER_PAGE = 5000
GENDERS = {"T", "K", "M"}
NO_REASON = "Värde saknas i Kolada (ingen orsak angiven)"  # a null value that came without a status


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
    detail = exc.read()[:600].decode("utf-8", "replace").strip()
    return KoladaError(f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else ""))


@dataclass
class Client:
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0
    tries: int = 5
    backoff: float = 1.0  # seconds before the first retry; doubled for each further one
    max_backoff: float = 30.0  # the longest wait, also for a Retry-After
    per_page: int = MAX_PER_PAGE  # rows a page for the listings and values (Kolada's largest page)
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
        """Every row of a listing, following `next_url` across pages until it is null or a page is empty."""
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
            if not body["values"]:  # an empty page ends the listing, whatever next_url says
                break
            url, page = body.get("next_url"), page + 1
        return rows

    # ------------------------------------------------------------ the calls the fetch needs

    def metadata(self, kind: str, ids: list[str], what: str) -> list[dict]:
        """Metadata objects by id (`kind`: kpi, municipality, municipality_groups), at most 25 ids a request;
        their titles checked for double encoding (repaired, or refused)."""
        out = []
        for part in chunks(ids):
            out += self.get_all(self.url(kind, ",".join(part)), f"{what} ({len(part)} ids)")
        return clean_titles(out, kind)

    def municipality_list(self) -> list[dict]:
        """Every municipality and region Kolada has (`GET /v3/municipality`), each with id, title and type."""
        rows = self.get_all(self.url("municipality", per_page=self.per_page), "all municipalities")
        return clean_titles(rows, "municipality")

    def kpis(self, ids: list[str]) -> list[dict]:
        return self.metadata("kpi", ids, "KPI metadata")

    def municipalities(self, ids: list[str]) -> list[dict]:
        return self.metadata("municipality", ids, "municipalities")

    def groups(self, ids: list[str]) -> list[dict]:
        return self.metadata("municipality_groups", ids, "groups")

    def data(self, kpis: list[str], municipalities: list[str] | None, years: list[int]) -> list[dict]:
        """Value rows flattened to kpi, municipality, year, gender, value, status. `municipalities=None` asks
        for every municipality Kolada has values for (the data path without its municipality part)."""
        rows = []
        year_parts = chunks([str(y) for y in years])
        muni_parts = [None] if municipalities is None else chunks(municipalities)
        for i, kpi_part in enumerate(chunks(kpis)):
            for muni_part in muni_parts:
                for year_part in year_parts:
                    url = self._data_url(kpi_part, muni_part, year_part)
                    munis = "all municipalities" if muni_part is None else f"{len(muni_part)} municipalities"
                    what = (
                        f"values, KPIs {i * MAX_IDS + 1}–{i * MAX_IDS + len(kpi_part)} of {len(kpis)}, "
                        f"{munis}, {len(year_part)} years"
                    )
                    rows += flatten(self.get_all(url, what), url)
        return rows

    def _data_url(self, kpis: list[str], municipalities: list[str] | None, years: list[str]) -> str:
        parts = ["data", "kpi", ",".join(kpis)]
        if municipalities is not None:
            parts += ["municipality", ",".join(municipalities)]
        return self.url(*parts, "year", ",".join(years), per_page=self.per_page)


def flatten(rows: list[dict], url: str) -> list[dict]:
    """v3 data rows to one row per gender; the genders are picked by their `gender` field. A row or a gender
    entry marked `isdeleted` is left out; a status is kept as Kolada gave it."""
    out = []
    for i, row in enumerate(rows):
        if row.get("isdeleted"):
            continue
        try:
            kpi, muni, year, values = row["kpi"], row["municipality"], int(row["period"]), row["values"]
        except (KeyError, TypeError, ValueError):
            raise KoladaError(f"{url}: row {i} lacks kpi, municipality, period or values: {str(row)[:200]}") from None
        where = f"{url}: row {i} ({kpi}, {muni}, {year}"
        for entry in values:
            if not entry.get("isdeleted"):
                out.append({"kpi": kpi, "municipality": str(muni), "year": year, **_entry(entry, where)})
    return out


def _entry(entry: dict, where: str) -> dict:
    """One gender entry of a data row: its gender, value and status (checked)."""
    gender = entry.get("gender")
    if gender not in GENDERS:
        raise KoladaError(f"{where}): unknown gender {gender!r}")
    value = entry.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise KoladaError(f"{where}, {gender}): value {value!r} is not a number")
    status = (entry.get("status") or "").strip()
    if value is None and not status:
        status = NO_REASON
    return {"gender": gender, "value": value, "status": status}


# ------------------------------------------------------------------ titles that arrive double-encoded

# A character as a UTF-8 continuation byte (0x80-0xBF) reads when the bytes are decoded as cp1252 or latin-1.
_CONTINUATION = {chr(b) for b in range(0x80, 0xC0)} | {bytes([b]).decode("cp1252", "ignore") for b in range(0x80, 0xC0)}
# UTF-8 read as cp1252/latin-1: "Ã¤" (ä), "Ã¶" (ö), "Ã…" (Å), "Â " (a no-break space), "â€“" (–); and the
# replacement character, where a wrong decoding already lost the text.
MOJIBAKE = re.compile("[ÃÂ][" + re.escape("".join(sorted(_CONTINUATION - {""}))) + "]|â€|\ufffd")


def looks_double_encoded(text: str) -> bool:
    return bool(MOJIBAKE.search(text))


def repair(text: str) -> str | None:
    """Text without the marks of double encoding: as it is, or repaired by reading its characters back as
    the cp1252 (or latin-1) bytes they came from and decoding those as UTF-8 (at most three layers); None when
    that does not give clean text."""
    for _ in range(3):
        if not looks_double_encoded(text):
            return text
        text = _round_trip(text)
        if text is None or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text):
            return None
    return None if looks_double_encoded(text) else text


def _round_trip(text: str) -> str | None:
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return None


def clean_title(what: str, ident, text: str) -> str:
    """A fetched title, repaired if it arrived double-encoded; a KoladaError if it cannot be repaired."""
    if not isinstance(text, str) or not looks_double_encoded(text):
        return text
    fixed = repair(text)
    if fixed is None:
        raise KoladaError(
            f"{what} {ident}: the title {text!r} is garbled (UTF-8 read as another encoding) and cannot be "
            "repaired; nothing was written. Fetch again later, or report it to Kolada"
        )
    log.warning("  %s %s: repaired a double-encoded title: %r -> %r", what, ident, text, fixed)
    return fixed


def clean_titles(objects: list[dict], kind: str) -> list[dict]:
    """Metadata objects with their titles (and group members' titles) checked by clean_title."""
    what = {"kpi": "KPI", "municipality_groups": "group"}.get(kind, kind)
    out = []
    for obj in objects:
        if not isinstance(obj, dict):
            out.append(obj)
            continue
        obj = dict(obj)
        if "title" in obj:
            obj["title"] = clean_title(what, obj.get("id"), obj["title"])
        if isinstance(obj.get("members"), list):
            obj["members"] = [_clean_member(obj.get("id"), m) for m in obj["members"]]
        out.append(obj)
    return out


def _clean_member(group, member):
    if not isinstance(member, dict) or "member_title" not in member:
        return member
    title = clean_title(f"group {group}: member", member.get("member_id"), member["member_title"])
    return dict(member, member_title=title)
