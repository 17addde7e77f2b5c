"""Errors that tell the user what to fix: which file, which key or row, what was expected."""
from __future__ import annotations


class FollowupError(Exception):
    """Base class for every error the pipeline reports to a user."""


class PlanError(FollowupError):
    """The plan file is invalid."""

    def __init__(self, path, key: str, message: str):
        self.path, self.key, self.message = str(path), key, message
        super().__init__(f"{self.path}: {key}: {message}")


class PlanErrors(PlanError):
    """Every problem found in the plan file, at once. Its key and message are the first problem's."""

    def __init__(self, problems: list[PlanError]):
        self.problems = problems
        first = problems[0]
        PlanError.__init__(self, first.path, first.key, first.message)
        if len(problems) > 1:
            lines = "\n".join(f"  {p.key}: {p.message}" for p in problems)
            self.args = (f"{first.path}: {len(problems)} problems:\n{lines}",)


class DataError(FollowupError):
    """A data file is missing, malformed or inconsistent."""

    def __init__(self, path, where: str, message: str):
        self.path, self.where, self.message = str(path), where, message
        super().__init__(f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}")


class BuildError(FollowupError):
    """A step of the build failed."""


class DataErrors(DataError):
    """Every problem found in a data file, at once (the first 25 listed). Path and place are the first's."""

    def __init__(self, problems: list[DataError], shown: int = 25):
        self.problems = problems
        first = problems[0]
        DataError.__init__(self, first.path, first.where, first.message)
        if len(problems) > 1:
            lines = "\n".join(f"  {p.path}: {p.where}: {p.message}" if p.where else f"  {p.path}: {p.message}"
                              for p in problems[:shown])
            more = f"\n  … and {len(problems) - shown} more" if len(problems) > shown else ""
            self.args = (f"{len(problems)} problems in the data:\n{lines}{more}",)


class Problems(FollowupError):
    """Problems found in several files (the plan and the data), reported together."""

    def __init__(self, problems: list[FollowupError], shown: int = 25):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems[:shown])
        more = f"\n  … and {len(problems) - shown} more" if len(problems) > shown else ""
        super().__init__(f"{len(problems)} problems:\n{lines}{more}")
