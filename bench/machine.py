"""The machine a benchmark ran on, as /proc/cpuinfo and /proc/meminfo give it (shared by the benchmarks)."""

from __future__ import annotations

import platform
from pathlib import Path


def hardware() -> str:
    """ "2 cores (AMD EPYC), 23.5 GiB memory": cores, CPU model and memory."""
    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cores = sum(1 for line in cpuinfo if line.startswith("processor"))
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    gib = int(mem.split()[1]) / 1024 / 1024
    return f"{cores} cores ({model}), {gib:.1f} GiB memory"
