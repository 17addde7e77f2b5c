"""Errors that tell the user what to fix: which file, which key or row, what was expected."""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def without_ansi(text: str) -> str:
    """The text without terminal colour codes (a tool's output, as an error message shows it)."""
    return ANSI.sub("", text)


class FollowupError(Exception):
    """Base class for every error the pipeline reports to a user."""


class InputError(FollowupError):
    """A problem in an input file (the plan, a data file, a commentary file): the file, where in it (a key
    path, a line and column, or nothing for the whole file) and what is wrong."""

    def __init__(self, path, where: str, message: str):
        self.path, self.where, self.message = str(path), where, message
        super().__init__(f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}")

    @property
    def key(self) -> str:
        """In a plan or a front matter, where is a key path: goal_areas[0] (skolan).title."""
        return self.where


# The names the call sites use: one type, named for what it is about.
PlanError = DataError = InputError


class InputErrors(ExceptionGroup, InputError):
    """Several input problems, reported at once (an ExceptionGroup of InputError). It is an InputError
    itself, so `except DataError` and `except FollowupError` catch it too.

    str(): "N problems:" (or "<file>: N problems:" when they are all in one file), then one indented line
    per problem, the first SHOWN of them."""

    SHOWN = 25

    def __new__(cls, problems):
        return super().__new__(cls, _headline(problems), list(problems))

    def __init__(self, problems):
        super().__init__(_headline(problems), list(problems))
        self.path, self.where = _one_path(problems), ""

    def derive(self, excs):
        return InputErrors(list(excs))

    def __str__(self) -> str:
        lines = [self._line(p) for p in self.exceptions[: self.SHOWN]]
        if len(self.exceptions) > self.SHOWN:
            lines.append(f"  … and {len(self.exceptions) - self.SHOWN} more")
        return "\n".join([self.message, *lines])

    def _line(self, problem) -> str:
        if not self.path:  # problems in several files: each names its own
            return f"  {problem}"
        return f"  {problem.where}: {problem.message}" if problem.where else f"  {problem.message}"


def _one_path(problems) -> str:
    """The file all the problems are in, or "" when they are in several."""
    paths = {p.path for p in problems}
    return paths.pop() if len(paths) == 1 else ""


def _headline(problems) -> str:
    path = _one_path(problems)
    return f"{path}: {len(problems)} problems:" if path else f"{len(problems)} problems:"


def raise_all(problems: list[InputError]) -> None:
    """Raise nothing when there are no problems, the problem when there is one, else all of them at once."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InputErrors(problems)


class BuildError(FollowupError):
    """A step of the build failed."""
