"""A local stand-in for Kolada's v3 API, for tests: real v3 shapes, served from a data set on disk.

It answers /v3/kpi[/{ids}], /v3/municipality[/{ids}], /v3/municipality_groups[/{ids}] and
/v3/data/kpi/{ids}/municipality/{ids}/year/{years} (or any two of the three parts) the way Kolada does
(see /work/shared/reference/kolada/README.md and issue #11):

- an envelope {"values", "count", "next_url", "previous_url"}, pages of `per_page` rows (at most 5 000);
- gender entries in a shuffled order, each `{"gender", "count", "status", "value", "isdeleted"}`: a value
  that is there has `"status": ""`, a missing one `"value": null, "status": "Missing", "count": 0`;
- `isdeleted` inside each gender entry (and on a row when the whole row is deleted);
- HTTP 422 with a JSON body for more than 25 ids in one path part and for a `per_page` above 5 000 (or a
  page, per_page or year that is not a positive number); 404 for unknown paths;
- every municipality in the listing (`GET /v3/municipality`: Riket, the regions and the 290 municipalities
  of type K: the data set's list, filled up with invented ones when it is shorter),
  with invented values for the municipalities the data set does not have, so that a query for all
  municipalities answers like Kolada's;
- the patterns of real data: N07923 is published every second year (odd years only), and Riket has no value
  for it (its rows are null with status "Missing"); each KPI's `publication_date` and `publ_period` as in
  the data set's kpis.json.

Switches for tests: `per_page` (the default page size), `next_url_on_last_page` (Kolada's next_url that
leads to an empty page), `double_encoded` (ids whose titles are sent as UTF-8 read as cp1252, "Ã¤" for "ä"),
`deleted` ((kpi, municipality, year) rows or (kpi, municipality, year, gender) entries sent with
`isdeleted: true`), `faults`/`always` (injected errors), `delay`, `retry_after`. Tests also change the data
itself (titles, removed KPIs, revised values, group members).
"""

from __future__ import annotations

import csv
import json
import random
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

# Facts: Kolada's list of municipalities (read at test time only, and only if it is there; never copied).
MAX_IDS = 25
MAX_PER_PAGE = 5000
RIKET = "0000"
BIENNIAL = {"N07923": 1}  # KPI -> the remainder of the years it is published in, divided by 2 (odd years)
NO_NATIONAL = {"N07923"}  # KPIs for which Riket has no value (Kolada sends its rows with "value": null)
MISSING = "Missing"


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the client stopped waiting (a time-out, an interrupted fetch): not the server's error
        super().handle_error(request, client_address)


def entry(gender: str, value: float | None, status: str | None = None) -> dict:
    """A gender entry as v3 sends it."""
    if value is None:
        return {"gender": gender, "count": 0, "status": MISSING if status is None else status, "value": None}
    return {"gender": gender, "count": 1, "status": status or "", "value": value}


def read_values(path: Path) -> dict[tuple, list[dict]]:
    """The data set's values.csv as v3 entries by (kpi, municipality, year). A missing value is sent as Kolada
    sends one, with status "Missing" (the data set's own Swedish reasons are not Kolada's)."""
    values = {}
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            key = (r["kpi"], r["municipality"], int(r["year"]))
            values.setdefault(key, []).append(entry(r["gender"], float(r["value"]) if r["value"] else None))
    return values


def municipality_list(own: dict[str, dict], path: Path | None) -> dict[str, dict]:
    """Every municipality and region Kolada lists: the list in `path` (a CSV id,title,type) when given, else the
    data set's own municipalities.json (the example's holds Kolada's whole list) filled up to 290 municipalities
    of type K with invented ones; the data set's own entries take precedence. (Nothing outside the repository
    is read: the tests behave the same on every machine.)"""
    listing = {}
    if path is not None and Path(path).exists():
        with open(path, encoding="utf-8") as f:
            listing = {r["id"]: {"id": r["id"], "title": r["title"], "type": r["type"]} for r in csv.DictReader(f)}
    else:
        listing[RIKET] = {"id": RIKET, "title": "Riket", "type": "L"}
        k_ids = {i for i, m in own.items() if m.get("type") == "K"}
        invented = (f"{county:02d}{n:02d}" for county in range(1, 26) for n in range(40, 100))
        for muni in invented:
            if len(k_ids) >= 290:
                break
            if muni not in own:
                k_ids.add(muni)
                listing[muni] = {"id": muni, "title": f"Kommun {muni}", "type": "K"}
    listing.update(own)
    return dict(sorted(listing.items()))


def double_encode(text: str) -> str:
    """UTF-8 read as cp1252: what Kolada has been seen to send ("BorlÃ¤nge")."""
    return text.encode("utf-8").decode("cp1252", "replace")


def unprocessable(where: list, message: str, given) -> tuple[int, bytes]:
    """HTTP 422 with a JSON body in the shape of Kolada's (FastAPI's) validation errors."""
    detail = [{"type": "value_error", "loc": where, "msg": message, "input": given}]
    return 422, json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")


class FakeKolada:
    def __init__(self, dataset: Path, per_page: int = 5000, municipalities: Path | None = None):
        kdir = Path(dataset) / "kolada"
        self.kpis = {k["id"]: k for k in json.loads((kdir / "kpis.json").read_text(encoding="utf-8"))}
        own = {m["id"]: m for m in json.loads((kdir / "municipalities.json").read_text(encoding="utf-8"))}
        self.groups = {g["id"]: g for g in json.loads((kdir / "groups.json").read_text(encoding="utf-8"))}
        self.values = read_values(kdir / "values.csv")
        self._kolada_patterns()
        self.own_municipalities = {m for (_, m, _) in self.values}  # the rest get invented values
        self.municipalities = municipality_list(own, municipalities)
        self.per_page = per_page
        self.next_url_on_last_page = False  # True: every page links a next one, the last to an empty page
        self.double_encoded: set[str] = set()  # ids (KPI, municipality, group, member) sent as mojibake
        self.deleted: set[tuple] = set()  # (kpi, muni, year) rows or (kpi, muni, year, gender) entries
        # (path fragment, "429" | "500" | "malformed" | "404" | "drop"), used once each; "drop" closes the
        # connection without an answer
        self.faults: list[tuple[str, str]] = []
        self.always: dict[str, str] = {}  # path fragment -> fault on every request
        self.requests: list[str] = []
        self.delay = 0.0  # seconds to wait before answering (to interrupt a fetch in flight)
        self.retry_after = "0"  # the Retry-After header of a 429
        self._invented: dict[tuple, list[dict] | None] = {}
        self._mean_cache: dict[tuple, float] | None = None
        self._paged: dict[str, list] = {}  # path -> its rows' keys, from its first page (for the next pages)
        self.lock = threading.Lock()
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v3"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _kolada_patterns(self) -> None:
        """N07923 as Kolada has it: values in odd years only, and Riket's rows without a value."""
        for key in [k for k in self.values if k[0] in BIENNIAL and k[2] % 2 != BIENNIAL[k[0]]]:
            del self.values[key]
        for kpi in NO_NATIONAL:
            for year in sorted({y for (k, _, y) in self.values if k == kpi}):
                genders = [e["gender"] for e in self.values.get((kpi, RIKET, year), [])] or ["T"]
                self.values[(kpi, RIKET, year)] = [entry(g, None) for g in genders]

    # ------------------------------------------------------------------ answers

    def _fault(self, path: str) -> str | None:
        with self.lock:
            for frag, kind in self.always.items():
                if frag in path:
                    return kind
            for i, (frag, kind) in enumerate(self.faults):
                if frag in path:
                    del self.faults[i]
                    return kind
        return None

    def answer(self, path: str, query: dict) -> tuple[int, bytes]:
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "v3":
            return 404, b'{"error": "not found"}'
        parts = parts[1:]
        problem = self._invalid(parts, query)
        if problem:
            return problem
        page = int(query.get("page", ["1"])[0])
        keys = self._paged.get(path) if page > 1 else None  # a next page: the rows as the first page found them
        keys = self._keys(parts) if keys is None else keys
        if keys is None:
            return 404, b'{"error": "unknown path"}'
        self._paged[path] = keys
        per_page = int(query.get("per_page", [str(self.per_page)])[0])
        if (page - 1) * per_page > len(keys) + per_page:  # a runaway client: fail fast rather than loop
            return 404, b'{"error": "no such page"}'
        return 200, self._page(parts, keys, page, per_page)

    def _invalid(self, parts: list[str], query: dict) -> tuple[int, bytes] | None:
        """A 422 for what Kolada refuses: too many ids in a part, a page size above 5 000, a bad number."""
        for name, ids in zip(parts, parts[1:], strict=False):
            if ids.count(",") >= MAX_IDS:
                return unprocessable(["path", name], f"at most {MAX_IDS} ids in one part", ids)
        for name, limit in (("page", None), ("per_page", MAX_PER_PAGE)):
            given = query.get(name, ["1"])[0]
            if not given.isdigit() or int(given) < 1:
                return unprocessable(["query", name], "Input should be a valid positive integer", given)
            if limit and int(given) > limit:
                return unprocessable(["query", name], f"Input should be less than or equal to {limit}", given)
        if "year" in parts[:-1] and not all(y.isdigit() for y in parts[parts.index("year") + 1].split(",")):
            return unprocessable(["path", "year"], "Input should be a valid integer", parts[parts.index("year") + 1])
        return None

    def _keys(self, parts: list[str]) -> list | None:
        """What the path asks for, before paging: metadata ids, or (kpi, municipality, year) keys of data rows;
        None for a path Kolada does not have."""
        tables = {"kpi": self.kpis, "municipality": self.municipalities, "municipality_groups": self.groups}
        if len(parts) == 1 and parts[0] in tables:
            return [(parts[0], i) for i in tables[parts[0]]]
        if len(parts) == 2 and parts[0] in tables:
            return [(parts[0], i) for i in parts[1].split(",") if i in tables[parts[0]]]
        if parts and parts[0] == "data":
            return self._data_keys(parts[1:])
        return None

    def _data_keys(self, parts: list[str]) -> list | None:
        """The rows of /data/{two or three of kpi, municipality, year}/...: a missing part means all."""
        dims = dict(zip(parts[::2], parts[1::2], strict=False))
        if (
            len(parts) % 2
            or len(dims) * 2 != len(parts)
            or len(dims) < 2
            or not set(dims) <= {"kpi", "municipality", "year"}
        ):
            return None
        kpis = dims["kpi"].split(",") if "kpi" in dims else sorted(self.kpis)
        munis = dims["municipality"].split(",") if "municipality" in dims else list(self.municipalities)
        years = [int(y) for y in dims["year"].split(",")] if "year" in dims else sorted({k[2] for k in self.values})
        return [
            ("data", kpi, muni, year)
            for kpi in kpis
            if kpi in self.kpis
            for muni in munis
            for year in years
            if self._entries(kpi, muni, year)
        ]

    def _entries(self, kpi: str, muni: str, year: int) -> list[dict] | None:
        """The gender entries of one data row: the data set's, or invented ones for another municipality."""
        key = (kpi, muni, year)
        found = self.values.get(key)
        if found is not None or muni in self.own_municipalities:
            return found
        if key not in self._invented:
            kommun = self.municipalities.get(muni, {}).get("type") == "K"
            self._invented[key] = self._invent(kpi, muni, year) if kommun else None
        return self._invented[key]

    def _invent(self, kpi: str, muni: str, year: int) -> list[dict] | None:
        """An invented value near the data set's mean for the KPI and year (none where it has none); one in
        fifty is missing, as in Kolada. Shares stay within 0-100 and values keep the sign of the mean."""
        mean = self._means().get((kpi, year))
        if mean is None:
            return None
        rng = random.Random(zlib.crc32(f"{kpi}|{muni}|{year}".encode()))
        meta = self.kpis[kpi]
        genders = ["T", "K", "M"] if meta.get("is_divided_by_gender") else ["T"]
        if rng.random() < 0.02:
            return [entry(g, None) for g in genders]
        share = "%" in meta.get("title", "").rsplit(",", 1)[-1]
        out = []
        for g in genders:
            value = mean * rng.uniform(0.75, 1.25)
            out.append(entry(g, round(min(value, 100.0) if share else value, 1)))
        return out

    def _means(self) -> dict[tuple, float]:
        """The mean of the data set's values by (kpi, year), computed once (what invented values centre on)."""
        if self._mean_cache is None:
            sums = {}
            for (kpi, _, year), entries in self.values.items():
                for e in entries:
                    if e["value"] is not None:
                        total, n = sums.get((kpi, year), (0.0, 0))
                        sums[(kpi, year)] = (total + e["value"], n + 1)
            self._mean_cache = {key: total / n for key, (total, n) in sums.items()}
        return self._mean_cache

    def _row(self, key: tuple) -> dict:
        """A metadata object or a data row as sent (shuffled genders, deletions, double-encoded titles)."""
        if key[0] != "data":
            table = {"kpi": self.kpis, "municipality": self.municipalities, "municipality_groups": self.groups}
            return self._as_sent(table[key[0]][key[1]])
        _, kpi, muni, year = key
        shuffled = [dict(e, isdeleted=(kpi, muni, year, e["gender"]) in self.deleted) for e in self._entries(*key[1:])]
        if len(shuffled) > 1:
            random.Random(zlib.crc32(f"{kpi}{muni}{year}".encode())).shuffle(shuffled)
        row = {"kpi": kpi, "municipality": muni, "period": year, "values": shuffled}
        if (kpi, muni, year) in self.deleted:
            row["isdeleted"] = True
        return row

    def _as_sent(self, obj: dict) -> dict:
        if not self.double_encoded:
            return obj
        obj = dict(obj)
        if obj.get("id") in self.double_encoded:
            obj["title"] = double_encode(obj["title"])
        if "members" in obj:
            obj["members"] = [
                dict(m, member_title=double_encode(m["member_title"])) if m["member_id"] in self.double_encoded else m
                for m in obj["members"]
            ]
        return obj

    def _page(self, parts: list[str], keys: list, page: int, per_page: int) -> bytes:
        """One page of the rows in Kolada's envelope, with the links to the next and previous pages."""
        chunk = [self._row(k) for k in keys[(page - 1) * per_page : page * per_page]]
        base = f"{self.url}/{'/'.join(parts)}"
        more = page * per_page < len(keys) or self.next_url_on_last_page
        body = {
            "values": chunk,
            "count": len(chunk),
            "next_url": f"{base}?page={page + 1}&per_page={per_page}" if more else None,
            "previous_url": f"{base}?page={page - 1}&per_page={per_page}" if page > 1 else None,
        }
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parsed = urlparse(self.path)
                fake.requests.append(parsed.path)
                if fake.delay:
                    time.sleep(fake.delay)
                fault = fake._fault(parsed.path)
                if fault == "drop":
                    self.close_connection = True
                    return
                if fault in ("429", "500", "404"):
                    self.send_response(int(fault))
                    if fault == "429":
                        self.send_header("Retry-After", fake.retry_after)
                    self.end_headers()
                    self.wfile.write(b'{"error": "injected"}')
                    return
                if fault == "malformed":
                    status, body = 200, b'{"values": [ {"kpi": '
                else:
                    status, body = fake.answer(parsed.path, parse_qs(parsed.query))
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler
