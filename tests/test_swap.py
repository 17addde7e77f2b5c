"""followup.swap: one way to replace a folder, and one rule to recover from a kill in the middle of it.
A kill is simulated by leaving behind the sibling folders a swap makes."""

import os

import pytest

from followup import swap


def make(folder, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "file.txt").write_text(text)
    return folder


def siblings(target):
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def test_staging_dir_is_an_empty_hidden_sibling(tmp_path):
    target = tmp_path / "data" / "kolada"
    stage = swap.staging_dir(target)
    assert stage.is_dir() and not list(stage.iterdir())
    assert stage.parent == target.parent and stage.name.startswith(f".kolada.new-{os.getpid()}-")
    assert swap.staging_dir(target) != stage  # two never collide


def test_replace_dir_replaces_and_removes_the_old(tmp_path):
    target = make(tmp_path / "kolada", "old")
    new = make(swap.staging_dir(target) / "kolada", "new")
    swap.replace_dir(new, target)
    assert (target / "file.txt").read_text() == "new"
    assert siblings(target) == [new.parent.name]  # only the (now empty) staging folder, the caller's to remove
    assert not list(new.parent.iterdir())


def test_replace_dir_when_the_target_is_missing(tmp_path):
    target = tmp_path / "2025"
    new = make(swap.staging_dir(target), "new")
    swap.replace_dir(new, target)
    assert (target / "file.txt").read_text() == "new" and siblings(target) == []


def test_a_failed_replace_leaves_the_target(tmp_path):
    target = make(tmp_path / "kolada", "old")
    with pytest.raises(FileNotFoundError):
        swap.replace_dir(tmp_path / "missing", target)
    assert (target / "file.txt").read_text() == "old" and siblings(target) == []


def test_recover_puts_back_the_newest_old_when_the_target_is_missing(tmp_path):
    target = tmp_path / "kolada"
    make(tmp_path / ".kolada.old-99-100", "older")
    make(tmp_path / ".kolada.old-7-200", "newest")  # killed between the two renames
    make(tmp_path / ".kolada.new-7-150", "half-written")
    make(tmp_path / ".other.old-1-300", "not ours")
    assert swap.recover(target) is True
    assert (target / "file.txt").read_text() == "newest"
    assert siblings(target) == [".other.old-1-300"]


def test_recover_removes_leftovers_beside_a_target(tmp_path):
    target = make(tmp_path / "2025", "current")
    make(tmp_path / ".2025.old-1-2", "killed before its removal")
    make(tmp_path / ".2025.new-3-4", "killed while writing")
    assert swap.recover(target) is False
    assert (target / "file.txt").read_text() == "current" and siblings(target) == []


def test_recover_with_nothing_to_do(tmp_path):
    assert swap.recover(tmp_path / "kolada") is False
    assert swap.recover(tmp_path / "missing" / "kolada") is False
    assert not (tmp_path / "kolada").exists()


def test_an_interrupt_between_the_renames_puts_the_old_back(tmp_path, monkeypatch):
    target = make(tmp_path / "_build", "last report")
    new = make(swap.staging_dir(target), "new report")
    real_rename = type(target).rename

    def interrupted(self, dest):  # the first rename happens, then Ctrl-C
        if self == new:
            raise KeyboardInterrupt
        return real_rename(self, dest)

    monkeypatch.setattr(type(target), "rename", interrupted)
    with pytest.raises(KeyboardInterrupt):
        swap.replace_dir(new, target)
    monkeypatch.undo()
    assert (target / "file.txt").read_text() == "last report"
    assert swap.recover(target) is False and siblings(target) == []
