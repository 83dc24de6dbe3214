"""Reading and writing files safely: bounded reads, sanitised names, all-or-nothing runs.

- **Reads** (:func:`read_bytes`, :func:`read_text`) accept regular files only (a device such
  as ``/dev/zero`` or a FIFO is refused before it is opened, so nothing reads forever or
  blocks) and never read more than a stated limit (:data:`MAX_INPUT_BYTES` unless the
  caller gives another).
- **Names** of the files a run writes come from :func:`safe_stem`: letters, digits, ``.``,
  ``_`` and ``-`` only, at most :data:`MAX_STEM` characters, so a file name never carries
  TeX (``\\includegraphics``), Markdown (spaces in links) or control characters.
- **Runs** (:func:`write_files`) write every file into a hidden staging folder inside the
  target and rename them into place only once all are written: a run killed half way leaves
  the previous run's files as they were (and a staging folder that the next run removes).
  :func:`write_atomic` does the same for one file, :class:`StagedFiles` for a run whose files
  are written as they are made.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from symnn.errors import SpecError, SymnnError

MAX_INPUT_BYTES = 10_000_000
"""The most bytes read from one input file unless the reader states another limit."""
MAX_STEM = 80
"""The longest file-name stem of an output file."""
STAGING_PREFIX = ".symnn-staging-"
"""Name prefix of the hidden folder a run is written into before it is renamed into place."""


def safe_stem(name: str, default: str = "sheet") -> str:
    """A file-name stem made of ``[A-Za-z0-9._-]`` only (others become ``_``), at most :data:`MAX_STEM` long.

    >>> safe_stem("a}\\\\message{X}{b"), safe_stem("my sheet #2%"), safe_stem("..."), safe_stem("x" * 300) == "x" * 80
    ('a__message_X__b', 'my_sheet__2_', 'sheet', True)
    """
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:MAX_STEM].strip(".")
    return stem if stem.strip("_-") else default


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:MAX_STEM]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_files(out: Path, files: Sequence[tuple[Path, str | bytes]],
                supersedes: Callable[[str], bool] | None = None) -> None:
    """Write a run's files (each under ``out``) all or nothing, or say in one line why not.

    Every file is first written into a staging folder inside ``out``; only when all are
    written are they renamed into place (a rename within one folder tree is atomic and
    takes microseconds).  A staging folder left by a killed run is removed here.
    With ``supersedes``, a file directly in ``out`` whose name it accepts and that this run
    did not write is an earlier run's and is removed after the renames (a run of 50 variants
    over one of 100 leaves no variants 51-100 beside the new key).  :class:`StagedFiles` is
    the same with the files written one by one as they are made.
    """
    with StagedFiles(out, supersedes) as staged:
        for path, data in files:
            staged.write(path, data)
        staged.commit()


class StagedFiles:
    """A run's files written into a staging folder as they are made, renamed into place together.

    The guarantee of :func:`write_files`, for a run that should not hold every file in memory
    (thousands of variants) or wait for the last one before writing the first:

    - entering makes the output folder and a staging folder inside it (and removes a staging
      folder a killed run left);
    - :meth:`write` stages a whole file, :meth:`append` adds text to a file staged piece by piece;
    - :meth:`commit` renames every staged file into place and removes the superseded ones;
    - leaving removes the staging folder with whatever it still holds: a run that fails or is
      killed before :meth:`commit` changes nothing the user sees (an output folder it made is
      removed again when nothing was written into it).

    An operating-system error is one line (:class:`~symnn.errors.SymnnError`).
    """

    def __init__(self, out: Path, supersedes: Callable[[str], bool] | None = None) -> None:
        self.out = out
        self._supersedes = supersedes
        self._created = False
        self._staging = out
        self._staged: dict[Path, Path] = {}  # final path -> staged path, in the order first staged
        self._open: dict[Path, BinaryIO] = {}
        self._mode = 0o666 & ~_umask()

    def __enter__(self) -> StagedFiles:
        self._created = not os.path.lexists(self.out)  # False for a name the system refuses: prepare_dir says why
        prepare_dir(self.out)
        _remove_stale_staging(self.out)
        try:
            self._staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.out))
        except OSError as exc:
            _remove_if_empty(self.out, self._created)
            raise SymnnError(f"{self.out}: cannot write here: {exc.strerror or exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._open.values():
            with contextlib.suppress(OSError):
                handle.close()
        self._open.clear()
        shutil.rmtree(self._staging, ignore_errors=True)
        _remove_if_empty(self.out, self._created)

    def __len__(self) -> int:
        """The number of files staged."""
        return len(self._staged)

    def _stage(self, path: Path) -> Path:
        temporary = self._staging / path.relative_to(self.out)
        if path not in self._staged:
            temporary.parent.mkdir(parents=True, exist_ok=True)
            self._staged[path] = temporary
        return temporary

    def write(self, path: Path, data: str | bytes) -> None:
        """Stage the whole of ``path`` (under the output folder)."""
        try:
            temporary = self._stage(path)
            temporary.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
            os.chmod(temporary, self._mode)
        except OSError as exc:
            raise _unwritable(exc, self.out) from None

    def append(self, path: Path, text: str) -> None:
        """Add ``text`` to the end of the staged ``path`` (begun by the first call)."""
        try:
            handle = self._open.get(path)
            if handle is None:
                handle = self._open[path] = self._stage(path).open("wb")
            handle.write(text.encode("utf-8"))
        except OSError as exc:
            raise _unwritable(exc, self.out) from None

    def commit(self) -> None:
        """Rename every staged file into place, then remove the superseded ones; once, at the end."""
        try:
            for path, handle in self._open.items():
                handle.close()
                os.chmod(self._staged[path], self._mode)
            self._open.clear()
            for path, temporary in self._staged.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temporary, path)
            if self._supersedes is not None:
                written = {path.name for path in self._staged if path.parent == self.out}
                for entry in list(self.out.iterdir()):
                    if entry.name not in written and self._supersedes(entry.name) and entry.is_file() \
                            and not entry.is_symlink():
                        entry.unlink()
        except OSError as exc:
            raise _unwritable(exc, self.out) from None


def _unwritable(exc: OSError, out: Path) -> SymnnError:
    return SymnnError(f"{exc.filename or out}: cannot be written: {exc.strerror or exc}")


def _remove_stale_staging(out: Path) -> None:
    """Remove staging folders whose process is gone (a run killed half way)."""
    try:
        entries = list(out.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir():
            continue
        pid = entry.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_if_empty(folder: Path, created: bool) -> None:
    if created:
        try:
            folder.rmdir()  # only succeeds when nothing was written
        except OSError:
            pass


def read_bytes(path: str | Path, what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or one line saying why not.

    Devices and FIFOs are refused before they are opened (``/dev/zero`` would never end, a
    FIFO would block); the read stops after ``limit`` bytes whatever the file claims to be.
    """
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise SpecError(f"{p}: no such file") from None
    except ValueError:  # a NUL in the path
        raise SpecError(f"{ascii(str(p))}: not a valid file name") from None
    except OSError as exc:
        raise SpecError(f"{p}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise SpecError(f"{p}: is a directory, not {what}")
    if not stat.S_ISREG(mode):
        raise SpecError(f"{p}: is not a regular file (a device, FIFO or socket), not {what}")
    try:
        with p.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise SpecError(f"{p}: cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise SpecError(f"{p}: larger than {limit:,} bytes; {what} is read up to that size")
    return data


def read_text(path: str | Path, what: str, limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of ``path`` (see :func:`read_bytes`), or one line saying why not."""
    data = read_bytes(path, what, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{Path(path)}: not a UTF-8 text file") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def prepare_dir(path: Path) -> Path:
    """Create an output folder, or say in one line why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SymnnError(f"{path}: exists and is not a folder") from None
    except ValueError:
        raise SymnnError(f"{ascii(str(path))}: not a valid folder name") from None
    except OSError as exc:
        raise SymnnError(f"{path}: cannot create output folder: {exc.strerror}") from None
    return path
