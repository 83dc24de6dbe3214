"""Loading a sheet: TOML text -> validated exercises, each read by its kind's declaration.

This sits above :mod:`symnn.sheets.kinds` (it dispatches on the registry), while
:mod:`symnn.sheets.spec` below the kinds holds only the plain data types and the
TOML document reader, so no module imports upward.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from symnn.core.io import read_text
from symnn.errors import SpecError
from symnn.sheets.fields import Context, describe
from symnn.sheets.kinds import KINDS
from symnn.sheets.spec import COMMON_KEYS, SEED_NAME, ExerciseSpec, SheetSpec, read_document


def parse_exercise(raw: Any, index: int, where: str) -> ExerciseSpec[Any]:
    """Validate one ``[[exercise]]`` table (``index`` counts from 1) with its kind's declaration."""
    default_id = f"ex{index}"
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: exercise {index} must be a table")
    ex_id = raw.get("id", default_id)
    if not isinstance(ex_id, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", ex_id):
        raise SpecError(f"{where}: exercise {index}: id must be a simple name, got {ex_id!r}")
    kind = raw.get("kind")
    ctx = Context(where, ex_id, str(kind))
    if kind is None:
        raise SpecError(f"{where}: exercise {ex_id}: missing required field 'kind'; "
                        f"valid kinds: {', '.join(KINDS)}")
    if not isinstance(kind, str) or kind not in KINDS:
        if not isinstance(kind, str):
            raise SpecError(f"{where}: exercise {ex_id}: kind must be text, got {describe(kind)}; "
                            f"valid kinds: {', '.join(KINDS)}")
        raise SpecError(f"{where}: exercise {ex_id}: unknown kind {kind!r}; "
                        f"valid kinds: {', '.join(KINDS)}")
    declaration = KINDS[kind]
    title = raw.get("title", "")
    if not isinstance(title, str):
        raise ctx.error(f"title must be text, got {describe(title)}")
    keys = declaration.keys()
    extra = sorted(set(raw) - set(keys) - set(COMMON_KEYS))
    if extra:
        raise ctx.error(f"unknown field {extra[0]!r}; fields of a {kind} exercise: {', '.join(keys)}")
    return ExerciseSpec(kind=kind, id=ex_id, title=title, data=declaration.read(raw, ctx), where=where)


def parse_sheet(text: str, source: str = "<text>") -> SheetSpec:
    """Parse and validate the TOML text of a sheet."""
    document = read_document(text, source)
    specs = []
    seen: set[str] = set()
    for i, (raw, where) in enumerate(zip(document.exercises, document.wheres), start=1):
        spec = parse_exercise(raw, i, where)
        if spec.id in seen:
            raise SpecError(f"{where}: exercise id {spec.id!r} is used twice")
        seen.add(spec.id)
        specs.append(spec)
    return SheetSpec(title=document.title, exercises=tuple(specs), source=source, raw=document.doc)


def seed_text() -> str:
    """The TOML text of the built-in default sheet."""
    return resources.files("symnn").joinpath("sheets/seed.toml").read_text(encoding="utf-8")


def builtin_sheets() -> dict[str, str]:
    """The built-in sheets by name, each with its title: the seed, then every example in ``sheets/examples/``.

    An exercise kind's example sheet is ``symnn/sheets/examples/<name>.toml``; ``symnn sheet --list``
    shows them and ``symnn sheet NAME`` solves one.

    >>> list(builtin_sheets())[0]
    'seed'
    """
    found = {"seed": read_document(seed_text(), SEED_NAME).title}
    folder = resources.files("symnn").joinpath("sheets/examples")
    if folder.is_dir():
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                name = entry.name[: -len(".toml")]
                found[name] = read_document(entry.read_text(encoding="utf-8"), builtin_source(name)).title
    return found


def builtin_source(name: str) -> str:
    """The ``source`` of a built-in sheet's spec: ``<builtin NAME>`` (the seed's is :data:`SEED_NAME`)."""
    return SEED_NAME if name == "seed" else f"<builtin {name}>"


def load_builtin(name: str) -> SheetSpec:
    """The built-in sheet called ``name`` (see :func:`builtin_sheets`)."""
    if name == "seed":
        return parse_sheet(seed_text(), SEED_NAME)
    names = builtin_sheets()
    if name not in names:
        raise SpecError(f"no built-in sheet {name!r}; built-in sheets: {', '.join(names)}")
    text = resources.files("symnn").joinpath(f"sheets/examples/{name}.toml").read_text(encoding="utf-8")
    return parse_sheet(text, builtin_source(name))


def load_path(path: str | Path) -> SheetSpec:
    """Load the sheet in a file: the argument is always a path, never TOML text (the CLI's reader)."""
    path = Path(path)
    return parse_sheet(read_text(path, "a sheet file"), str(path))


def load_argument(argument: str) -> SheetSpec:
    """A sheet named on the command line: an existing file, else a built-in sheet's name, else an error."""
    path = Path(argument)
    if path.exists() or argument.endswith(".toml") or "/" in argument or argument not in builtin_sheets():
        return load_path(path)
    return load_builtin(argument)


def load_sheet(path_or_text: str | Path | None = None) -> SheetSpec:
    """Load a sheet from a path, from TOML text, or (``None``) the built-in seed sheet.

    >>> sheet = load_sheet()
    >>> [e.kind for e in sheet.exercises][:2]
    ['forward', 'network']
    >>> load_sheet('title = "t"\\n[[exercise]]\\nkind = "activations"\\nx = [0.1]').exercises[0].data.x
    (Fraction(1, 10),)
    """
    if path_or_text is None:
        return parse_sheet(seed_text(), SEED_NAME)
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and "=" not in path_or_text
    ):
        path = Path(path_or_text)
        return parse_sheet(read_text(path, "a sheet file"), str(path))
    return parse_sheet(path_or_text)


__all__ = ["SEED_NAME", "builtin_sheets", "builtin_source", "load_argument", "load_builtin", "load_path", "load_sheet",
           "parse_exercise", "parse_sheet", "seed_text"]
