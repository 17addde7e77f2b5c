"""Errors that tell the user what to fix: which file, which key or row, what was expected."""
from __future__ import annotations


class FollowupError(Exception):
    """Base class for every error the pipeline reports to a user."""


class PlanError(FollowupError):
    """The plan file is invalid."""

    def __init__(self, path, key: str, message: str):
        self.path, self.key, self.message = str(path), key, message
        super().__init__(f"{self.path}: {key}: {message}")


class DataError(FollowupError):
    """A data file is missing, malformed or inconsistent."""

    def __init__(self, path, where: str, message: str):
        self.path, self.where, self.message = str(path), where, message
        super().__init__(f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}")


class BuildError(FollowupError):
    """A step of the build failed."""
