"""The cache of executed notebooks (.cache/notebooks/), keyed by what can change a notebook's output; it also
keeps what a build makes from them (the results files and downloads, the printed PDF) under keys of their own.

A goal area's key is a sha256 over: its rendered notebook (the template with the plan's texts of the area),
its parameters, the plan without the other goal areas, the plan's schema, what its notebook reads of the data
set (`Dataset.facts_for` its indicators: their rows with Riket's, the peers' and all municipalities', their
metadata, and the facts of the whole set, but not other indicators' rows), what its analysis reads of its
commentary (the override and whether actions are described: the text itself is filled in after execution,
without a kernel), the package's source, the environment and the Python version. The overview's key is made
of its notebook, its parameters, the plan, every data file, the goal areas' recorded results documents, the
source and the environment: it is re-executed only when one of them changed.

An entry is the folder the notebook ran in (the executed notebook, its figures/ and tables/), its results
document, and `entry.json` with the sha256 of each file. An entry whose files do not match (a damaged
entry) is removed and its notebook executed again, never used. Entries are written as soon as a notebook
has run, so they survive a failed build; `builds.json` lists the keys the last three successful builds used,
and entries used by none of them are removed after a build. `make clean` empties the cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import yaml

from .commentary import load_commentary
from .layout import STATUS_FILE, STATUS_SCHEMA, sha256_file

log = logging.getLogger(__name__)
VERSION = 1  # of the keys and the entries' layout
KEEP_BUILDS = 3
ENTRY = "entry.json"


def digest(material: dict) -> str:
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=4)
def _plan_tree(text: str) -> dict:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def plan_without_others(plan_path: Path, slug: str | None) -> dict:
    """The plan file's content with only this goal area (all of them for None)."""
    tree = dict(_plan_tree(Path(plan_path).read_text(encoding="utf-8")))
    if slug is not None:
        tree["goal_areas"] = [a for a in tree.get("goal_areas", []) if a.get("slug") == slug]
    return tree


def area_key(inputs, slug: str, notebook: Path, parameters: dict, src: Path, fingerprint: dict) -> str:
    """The key of a goal area's executed notebook (`src`: the run's copies of the inputs)."""
    ids = [ind.id for ind in inputs.plan.area(slug).indicators]
    c = load_commentary(src / "book" / "commentary", inputs.year, slug)
    return digest(
        {
            "version": VERSION,
            "kind": "goal_area",
            "notebook": sha256_file(notebook),
            "parameters": parameters,
            "plan": plan_without_others(src / "data" / "plan.yml", slug),
            "schema": sha256_file(src / "data" / "plan.schema.json"),
            "data": inputs.data.facts_for(ids),
            "commentary": {"override": c.override, "justification": c.justification, "has_actions": c.has_actions},
            "code": fingerprint["code"],
            "environment": fingerprint["environment"],
        }
    )


def overview_key(
    notebook: Path | None,
    parameters: dict,
    recorded: dict[str, str],
    data_root: str,
    docs: dict[str, Path],
    fingerprint: dict,
) -> str:
    """The key of the executed overview: its notebook, the plan, every data file, the goal areas' documents.
    Without a notebook: the key of the results files and downloads, made from the same."""
    read = {
        rel: h
        for rel, h in recorded.items()
        if rel.startswith(("data/plan", f"{data_root}/")) and rel not in (STATUS_FILE, STATUS_SCHEMA)
    }  # (with a real snapshot, data_root is data/: the report's status is not read by the overview)
    return digest(
        {
            "version": VERSION,
            "kind": "overview" if notebook is not None else "files",
            "notebook": sha256_file(notebook) if notebook is not None else None,
            "parameters": parameters,
            "inputs": read,
            "documents": {slug: sha256_file(path) for slug, path in docs.items()},
            "code": fingerprint["code"],
            "environment": fingerprint["environment"],
        }
    )


class NotebookCache:
    """Executed notebooks by key in `root` (None: no cache, every notebook is executed)."""

    def __init__(self, root: Path | None, read: bool = True):
        self.root = None if root is None else Path(root) / "notebooks"
        self.read = read  # False (--force): execute every notebook, and renew the entries
        self.used: set[str] = set()  # the keys this build restored or stored (kept by `record_build`)
        self._writer: ThreadPoolExecutor | None = None  # stores entries while the run goes on
        self._pending: list[Future] = []

    def _entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def restore(self, key: str, folder: Path, result: Path | None = None) -> bool:
        """Copy the entry of `key` into `folder` (where the notebook would run) and its results document to
        `result`; False when there is none or it is damaged (then it is removed)."""
        if self.root is None or not self.read:
            return False
        self.used.add(key)
        entry = self._entry(key)
        try:
            meta = json.loads((entry / ENTRY).read_text(encoding="utf-8"))
            files = meta["files"]
            damaged = meta.get("key") != key or any(
                not (entry / rel).is_file() or sha256_file(entry / rel) != h for rel, h in files.items()
            )
        except (OSError, ValueError, KeyError, TypeError):
            damaged = entry.exists()
            files = {}
        if damaged:
            log.warning(f"warning: cache entry {entry} is damaged; what it held is made again (never used)")
            shutil.rmtree(entry, ignore_errors=True)
            return False
        if not files:
            return False
        folder.mkdir(parents=True, exist_ok=True)
        for rel in files:
            if rel == "result.json":
                continue
            target = folder / rel.removeprefix("files/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / rel, target)  # a fresh file time: Sphinx sees the page as new
        if "result.json" in files and result is not None:
            result.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / "result.json", result)
        return True

    def store_later(self, key: str, folder: Path, result: Path | None) -> None:
        """`store`, in a thread of its own while the run goes on: `folder` and `result` must not change
        until `flush`."""
        if self.root is None:
            return
        self.used.add(key)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="cache")
        self._pending.append(self._writer.submit(self.store, key, folder, result))

    def flush(self) -> None:
        """Wait until every entry `store_later` was given is written; raise the first failure."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def store(self, key: str, folder: Path, result: Path | None) -> None:
        """Record what a notebook's run left in `folder` (and its results document) under `key`."""
        if self.root is None:
            return
        self.used.add(key)
        entry = self._entry(key)
        tmp = entry.with_name(f".{key}.new-{os.getpid()}-{time.time_ns()}")
        shutil.copytree(folder, tmp / "files")
        if result is not None:
            shutil.copyfile(result, tmp / "result.json")
        files = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        (tmp / ENTRY).write_text(json.dumps({"key": key, "files": files}, indent=1) + "\n", encoding="utf-8")
        shutil.rmtree(entry, ignore_errors=True)
        tmp.rename(entry)

    def record_build(self) -> None:
        """After a successful build: remember the keys it used, and remove the entries none of the last
        three successful builds used (and leftovers of interrupted writes)."""
        if self.root is None:
            return
        self.flush()
        log_path = self.root / "builds.json"
        try:
            builds = json.loads(log_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            builds = []
        builds = [*builds, sorted(self.used)][-KEEP_BUILDS:]
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = log_path.with_name(f".builds.json.{os.getpid()}")
        tmp.write_text(json.dumps(builds, indent=1) + "\n", encoding="utf-8")
        tmp.replace(log_path)
        keep = {k for build in builds for k in build}
        for bucket in self.root.iterdir():
            if not bucket.is_dir():
                continue
            for entry in bucket.iterdir():
                if entry.name not in keep:
                    shutil.rmtree(entry, ignore_errors=True)
            if not any(bucket.iterdir()):
                bucket.rmdir()
