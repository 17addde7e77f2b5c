"""A small client for Kolada's v3 API (https://api.kolada.se/v3), standard library only.

Real-world behaviour it handles: at most 25 ids in one path part (larger requests are split), paging
through `next_url`, genders picked by their `gender` field (never by position), retries with back-off on
HTTP 429, 5xx and time-outs (a bounded number of tries), and a clear error for any other 4xx and for a
response that is not the JSON expected. Every request batch prints a progress line.
"""
from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from .errors import FollowupError

DEFAULT_BASE_URL = "https://api.kolada.se/v3"
MAX_IDS = 25
GENDERS = {"T", "K", "M"}


class KoladaError(FollowupError):
    """The API answered with an error, or with something that is not what v3 returns."""


def chunks(ids: list[str], size: int = MAX_IDS) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


@dataclass
class Client:
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0
    tries: int = 5
    backoff: float = 1.0  # seconds before the first retry; doubled for each further one
    max_backoff: float = 30.0
    log: object = print
    sleep: object = time.sleep
    urls: list[str] = field(default_factory=list)  # every URL fetched, in order (recorded in the manifest)

    def url(self, *parts: str, **query) -> str:
        path = "/".join(urllib.parse.quote(p, safe=",") for p in parts)
        q = ("?" + urllib.parse.urlencode(query)) if query else ""
        return f"{self.base_url.rstrip('/')}/{path}{q}"

    def get_json(self, url: str):
        """GET one URL and parse its JSON, retrying what may pass (429, 5xx, time-outs)."""
        delay = self.backoff
        for attempt in range(1, self.tries + 1):
            retry_reason = None
            try:
                request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                               "User-Agent": "borlange-followup"})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read()
                self.urls.append(url)
                try:
                    return json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise KoladaError(f"{url}: the response is not valid JSON ({exc})") from None
            except urllib.error.HTTPError as exc:
                if exc.code == 429 or exc.code >= 500:
                    retry_reason = f"HTTP {exc.code}"
                    after = exc.headers.get("Retry-After") if exc.headers else None
                    if after and after.isdigit():
                        delay = max(delay, min(float(after), self.max_backoff))
                else:
                    detail = exc.read()[:300].decode("utf-8", "replace").strip()
                    raise KoladaError(f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")) from None
            except (socket.timeout, TimeoutError) as exc:
                retry_reason = f"time-out ({exc})"
            except (ConnectionError, http.client.HTTPException) as exc:  # reset, closed early, cut short
                retry_reason = f"connection lost ({type(exc).__name__})"
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                    retry_reason = "time-out"
                else:
                    raise KoladaError(f"{url}: cannot connect ({exc.reason})") from None
            if attempt == self.tries:
                raise KoladaError(f"{url}: gave up after {self.tries} tries (last: {retry_reason})")
            self.log(f"  {retry_reason}; retrying in {delay:g} s (try {attempt + 1} of {self.tries})")
            self.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

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
            self.log(f"  {what}: page {page}, {len(body['values'])} rows")
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
                    url = self.url("data", "kpi", ",".join(kpi_part), "municipality", ",".join(muni_part),
                                   "year", ",".join(year_part))
                    what = (f"values, KPIs {i * MAX_IDS + 1}–{i * MAX_IDS + len(kpi_part)} of {len(kpis)}, "
                            f"{len(muni_part)} municipalities, {len(year_part)} years")
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
            out.append({"kpi": kpi, "municipality": str(muni), "year": year, "gender": gender,
                        "value": value, "status": status})
    return out
