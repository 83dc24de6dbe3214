"""PDF: the LaTeX document compiled by a TeX engine found on PATH.

Engines are tried in the order latexmk, pdflatex, lualatex, tectonic.  The document
is compiled in a temporary folder, so a failed run leaves nothing behind but what the
caller chooses to keep; the error names the first TeX error and its line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from symnn.errors import SymnnError

INSTALL_HINT = (
    "no TeX engine found on PATH (looked for latexmk, pdflatex, lualatex, tectonic); install one, e.g. "
    "'apt-get install texlive-latex-recommended texlive-fonts-recommended lmodern latexmk' or tectonic")
"""The one line shown when PDF output is asked for and no engine exists."""

TIMEOUT_SECONDS = 300
"""A compile taking longer than this is stopped (a TeX run waiting for input, say)."""

TEX_FLAGS = ("-interaction=nonstopmode", "-halt-on-error", "-file-line-error")
"""Never stop to ask; stop at the first error; name its file and line."""


@dataclass(frozen=True, slots=True)
class Engine:
    """A TeX engine and how to run it on one file."""

    name: str
    """The program, as looked up on PATH."""
    arguments: tuple[str, ...]
    """Arguments before the file name."""


ENGINES = (
    Engine("latexmk", ("-pdf", *TEX_FLAGS)),
    Engine("pdflatex", TEX_FLAGS),
    Engine("lualatex", TEX_FLAGS),
    Engine("tectonic", ("--keep-logs", "--chatter", "minimal")),
)
"""Engines in order of preference."""


class TexError(SymnnError):
    """A TeX engine could not compile the document."""

    def __init__(self, engine: str, line: int | None, message: str, log: str) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{engine} failed: {where}{message}")
        self.engine = engine
        """The engine that failed."""
        self.line = line
        """Line of the .tex file named by the first error, if TeX named one."""
        self.message = message
        """The first error message."""
        self.log = log
        """The whole log, for inspection."""


def find_engine(engines: tuple[Engine, ...] = ENGINES) -> Engine | None:
    """The first engine found on PATH, or None."""
    return next((e for e in engines if shutil.which(e.name)), None)


def require_engine() -> Engine:
    """The engine to use, or a one-line error naming what to install."""
    engine = find_engine()
    if engine is None:
        raise SymnnError(INSTALL_HINT)
    return engine


FILE_LINE_ERROR = re.compile(r"^(?:error: )?\S*?\.tex:(\d+): (.+)$", re.MULTILINE)
CLASSIC_ERROR = re.compile(r"^! (.+)$", re.MULTILINE)
ERROR_LINE = re.compile(r"^l\.(\d+) ", re.MULTILINE)


def first_error(log: str) -> tuple[int | None, str]:
    """The line and message of the first error in a TeX log.

    >>> first_error("...\\n./seed.tex:12: Undefined control sequence.\\nl.12 \\\\foo\\n")
    (12, 'Undefined control sequence.')
    >>> first_error("error: seed.tex:7: Missing $ inserted\\n")
    (7, 'Missing $ inserted')
    >>> first_error("! Emergency stop.\\n<*> seed.tex\\n")
    (None, 'Emergency stop.')
    """
    found = FILE_LINE_ERROR.search(log)
    if found:
        return int(found.group(1)), found.group(2).strip()
    classic = CLASSIC_ERROR.search(log)
    if classic:
        line = ERROR_LINE.search(log, classic.end())
        return (int(line.group(1)) if line else None), classic.group(1).strip()
    lines = [line for line in log.splitlines() if line.strip()]
    return None, lines[-1].strip() if lines else "no output"


@dataclass(frozen=True, slots=True)
class Compiled:
    """The result of a successful compile."""

    pdf: bytes
    """The PDF file."""
    log: str
    """The engine's log (warnings such as overfull boxes are read from it)."""
    engine: str
    """The engine that made it."""


def compile_pdf(tex: str, files: Mapping[str, bytes] | None = None, stem: str = "sheet",
                engine: Engine | None = None) -> bytes:
    """The PDF of a LaTeX document; ``files`` (e.g. figures) are placed beside it first.

    Raises :class:`TexError` with the first TeX error when the engine fails.
    """
    return compile_latex(tex, files, stem, engine).pdf


def compile_latex(tex: str, files: Mapping[str, bytes] | None = None, stem: str = "sheet",
                  engine: Engine | None = None) -> Compiled:
    """Compile in a temporary folder; the PDF and the log (see :func:`compile_pdf`)."""
    engine = engine or require_engine()
    with tempfile.TemporaryDirectory(prefix="symnn-tex-") as folder:
        work = Path(folder)
        for name, data in (files or {}).items():
            (work / name).write_bytes(data)
        (work / f"{stem}.tex").write_text(tex, encoding="utf-8")
        # A fixed date makes the PDF the same on every run.
        env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
        try:
            result = subprocess.run([engine.name, *engine.arguments, f"{stem}.tex"], cwd=work, env=env,
                                    stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT_SECONDS,
                                    check=False)
        except subprocess.TimeoutExpired:
            raise TexError(engine.name, None, f"no result after {TIMEOUT_SECONDS} s", "") from None
        log_file = work / f"{stem}.log"
        log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
        pdf = work / f"{stem}.pdf"
        if result.returncode != 0 or not pdf.exists():
            output = log or (result.stdout + result.stderr).decode("utf-8", errors="replace")
            line, message = first_error(output)
            raise TexError(engine.name, line, message, output)
        return Compiled(pdf.read_bytes(), log, engine.name)
