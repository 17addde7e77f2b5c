"""Replace a folder atomically, and recover when a run was killed in the middle of it.

The one scheme every swap uses (the snapshot, the example data, _build/, a published report): the new
content is written into a sibling `.<name>.new-<pid>-<ns>` (see `staging_dir`), then `replace_dir` renames
the target to `.<name>.old-<pid>-<ns>`, renames the new folder into place and removes the old one. Each
rename is atomic; a kill between the two leaves the target missing and the old folder beside it, which
`recover` puts back. Names carry the process id and the time in nanoseconds, so two swaps never collide
and the newest old folder is known.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path


def _sibling(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{time.time_ns()}"


def _siblings(target: Path, kind: str) -> list[Path]:
    """The `.<name>.<kind>-*` folders beside target (names are matched literally, not as a pattern)."""
    prefix = f".{target.name}.{kind}-"
    if not target.parent.is_dir():
        return []
    return [p for p in target.parent.iterdir() if p.name.startswith(prefix)]


def _stamp(path: Path) -> tuple[int, int]:
    """(time in ns, pid) from a `...-<pid>-<ns>` name; (0, 0) for a name not in that form."""
    parts = path.name.rsplit("-", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[2]), int(parts[1])
    return 0, 0


def staging_dir(target: Path) -> Path:
    """An empty new folder beside target (so on the same filesystem) to write its replacement into."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    path = _sibling(target, "new")
    path.mkdir()
    return path


def replace_dir(new: Path, target: Path) -> None:
    """Put the folder `new` in the place of `target` (which may be missing); the old content is removed.
    `new` must be on target's filesystem: write it in `staging_dir(target)`."""
    new, target = Path(new), Path(target)
    old = _sibling(target, "old")
    if target.exists():
        target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        if old.exists() and not target.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path) -> bool:
    """Undo what a killed `replace_dir` left: if target is missing and an old folder waits beside it, put
    the newest back (returns True). Then remove every leftover `.<name>.old-*` and `.<name>.new-*`.
    Call it only while no swap of target can be running (under the run lock)."""
    target = Path(target)
    olds = _siblings(target, "old")
    restored = False
    if olds and not target.exists():
        max(olds, key=_stamp).rename(target)
        restored = True
    for path in [*_siblings(target, "old"), *_siblings(target, "new")]:
        shutil.rmtree(path, ignore_errors=True)
    return restored
