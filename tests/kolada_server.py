"""A local stand-in for Kolada's v3 API, for tests: real v3 shapes, served from a data set on disk.

It answers /v3/kpi/{ids}, /v3/municipality/{ids}, /v3/municipality_groups/{ids} and
/v3/data/kpi/{ids}/municipality/{ids}/year/{years} like Kolada does (see shared facts in data/README.md):
an envelope {"values", "count", "next_url", "previous_url"}, pages of `per_page` rows, gender entries in a
shuffled order, null values with a status, HTTP 400 for more than 25 ids in one part, 404 for unknown paths.
Tests change its data (titles, removed KPIs, revised values, group members) and inject faults.
"""

from __future__ import annotations

import csv
import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the client stopped waiting (a time-out, an interrupted fetch): not the server's error
        super().handle_error(request, client_address)


class FakeKolada:
    def __init__(self, dataset: Path, per_page: int = 5000):
        kdir = Path(dataset) / "kolada"
        self.kpis = {k["id"]: k for k in json.loads((kdir / "kpis.json").read_text(encoding="utf-8"))}
        self.municipalities = {
            m["id"]: m for m in json.loads((kdir / "municipalities.json").read_text(encoding="utf-8"))
        }
        self.groups = {g["id"]: g for g in json.loads((kdir / "groups.json").read_text(encoding="utf-8"))}
        self.values = {}
        with open(kdir / "values.csv", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                key = (r["kpi"], r["municipality"], int(r["year"]))
                self.values.setdefault(key, []).append(
                    {
                        "gender": r["gender"],
                        "count": 1,
                        "status": r["status"] or None,
                        "value": float(r["value"]) if r["value"] else None,
                    }
                )
        self.per_page = per_page
        # (path fragment, "429" | "500" | "malformed" | "404" | "drop"), used once each; "drop" closes the
        # connection without an answer
        self.faults: list[tuple[str, str]] = []
        self.always: dict[str, str] = {}  # path fragment -> fault on every request
        self.requests: list[str] = []
        self.delay = 0.0  # seconds to wait before answering (to interrupt a fetch in flight)
        self.retry_after = "0"  # the Retry-After header of a 429
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
        if any(p.count(",") >= 25 for p in parts[1:]):
            return 400, b'{"error": "too many ids in one part (at most 25)"}'
        rows = self._rows(parts)
        if rows is None:
            return 404, b'{"error": "unknown path"}'
        return 200, self._page(parts, rows, query)

    def _rows(self, parts: list[str]) -> list[dict] | None:
        """Every row the path asks for (before paging), or None for a path Kolada does not have."""
        tables = {"kpi": self.kpis, "municipality": self.municipalities, "municipality_groups": self.groups}
        if len(parts) == 2 and parts[0] in tables:
            table = tables[parts[0]]
            return [table[i] for i in parts[1].split(",") if i in table]
        if (
            len(parts) == 7
            and parts[0] == "data"
            and parts[1] == "kpi"
            and parts[3] == "municipality"
            and parts[5] == "year"
        ):
            return self._data_rows(parts[2].split(","), parts[4].split(","), [int(y) for y in parts[6].split(",")])
        return None

    def _data_rows(self, kpis: list[str], munis: list[str], years: list[int]) -> list[dict]:
        """The data rows of /data/kpi/.../municipality/.../year/...: the gender entries in a shuffled order."""
        rows = []
        for kpi in (k for k in kpis if k in self.kpis):
            for muni in munis:
                for year in years:
                    entries = self.values.get((kpi, muni, year))
                    if entries:
                        shuffled = [dict(e) for e in entries]
                        random.Random(f"{kpi}{muni}{year}").shuffle(shuffled)
                        rows.append({"kpi": kpi, "municipality": muni, "period": year, "values": shuffled})
        return rows

    def _page(self, parts: list[str], rows: list[dict], query: dict) -> bytes:
        """One page of the rows in Kolada's envelope, with the links to the next and previous pages."""
        page = int(query.get("page", ["1"])[0])
        per_page = int(query.get("per_page", [str(self.per_page)])[0])
        chunk = rows[(page - 1) * per_page : page * per_page]
        base = f"{self.url}/{'/'.join(parts)}"
        more = page * per_page < len(rows)
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
