"""``--scheduler ADDRESS``: run a command's work on a Dask distributed cluster.

symnn does not schedule work across machines itself: ``dask.distributed`` does.  The
scheduler's address (``tcp://host:8786``, as ``dask scheduler`` prints it) gives a
:class:`distributed.Client`, whose :meth:`~distributed.Client.get_executor` is a
:class:`concurrent.futures.Executor` — what :func:`symnn.sheets.variants.generate_variants`
and :func:`symnn.verify.check.judge.check_files` take as ``executor=``.  Each task is
deterministic and results are gathered in order, so a cluster run writes the same bytes as
a local one.  The workers need symnn installed (the same version); they need no shared disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

INSTALL_HINT = "--scheduler needs dask.distributed: pip install 'symnn[cluster]'"


@contextmanager
def cluster_executor(address: str, timeout: float = 10.0) -> Iterator[Executor]:
    """An executor on the Dask cluster at ``address``; the connection closes when the block ends."""
    from symnn.errors import SymnnError

    try:
        from distributed import Client
    except ImportError:
        raise SymnnError(INSTALL_HINT) from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise SymnnError(f"--scheduler {address}: cannot connect to a Dask scheduler: {exc}") from None
    try:
        yield client.get_executor()  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]
