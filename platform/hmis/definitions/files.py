"""The shipped definition folders on disk: which files count, and what kind each holds."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .checks import Checked, check_source
from .loader import MAX_SOURCE_BYTES
from .problems import DefinitionProblem
from .registry import FOLDERS, kind_for_folder

__all__ = ["SUFFIXES", "FileCheck", "check_files", "definition_files", "shipped_folders"]

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class FileCheck:
    """One file's verdict. ``checked`` is ``None`` when the file could not even be read."""

    path: Path
    kind: str | None
    checked: Checked | None
    problems: list[DefinitionProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def key(self) -> str | None:
        return self.checked.key if self.checked else None


def shipped_folders() -> list[Path]:
    """The repository's four definition folders that exist (``form_definitions``, ...)."""
    import hmis

    root = Path(hmis.__file__).resolve().parents[2]
    return [root / name for name in FOLDERS if (root / name).is_dir()]


def definition_files(folder: Path) -> list[Path]:
    """The definitions directly in ``folder``, by name. Sub-folders are not read: they are
    the place for fragments and other files that are not definitions on their own."""
    return sorted(
        path for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith((".", "_"))
    )


def check_file(path: Path, kind: str | None) -> FileCheck:
    if kind is None:
        folders = ", ".join(FOLDERS)
        return FileCheck(path, None, None, [DefinitionProblem(
            "", None, f"cannot tell what kind of definition this is: put it in one of {folders} or pass --kind")])
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return FileCheck(path, kind, None, [DefinitionProblem(
                "", None, f"the file is {path.stat().st_size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")])
        data = path.read_bytes()
    except OSError as error:
        return FileCheck(path, kind, None, [DefinitionProblem("", None, f"cannot read the file: {error.strerror}")])
    checked = check_source(kind, data, filename=path.name)
    return FileCheck(path, kind, checked, list(checked.problems))


def check_files(paths: list[Path], kind: str | None = None) -> list[FileCheck]:
    """Check files and folders (a folder's kind comes from its name unless ``kind`` is given).

    Two files of one kind claiming the same id are both refused: which one should win is
    not something to guess.
    """
    results: list[FileCheck] = []
    seen: set[Path] = set()

    def add(file: Path, file_kind: str | None) -> None:
        if file.resolve() not in seen:  # a folder and a file in it, both named
            seen.add(file.resolve())
            results.append(check_file(file, file_kind))

    for path in paths:
        if path.is_dir():
            for file in definition_files(path):
                add(file, kind or kind_for_folder(path.resolve().name))
        elif path.exists():
            add(path, kind or kind_for_folder(path.resolve().parent.name))
        else:
            results.append(FileCheck(path, kind, None, [DefinitionProblem("", None, "no such file or folder")]))

    claims: dict[tuple[str, str], list[FileCheck]] = defaultdict(list)
    for result in results:
        if result.checked is not None and result.checked.body is not None and result.kind:
            claims[(result.kind, result.checked.key)].append(result)
    for (kind_, key), owners in claims.items():
        if len(owners) > 1:
            for owner in owners:
                others = ", ".join(str(other.path) for other in owners if other is not owner)
                owner.problems.append(DefinitionProblem("id", owner.checked.parsed.line_of(("id",)),
                                                        f"the {kind_} id '{key}' is also used by {others}"))
    return results
