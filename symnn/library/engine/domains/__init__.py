"""The number domains the network engine runs over (see :class:`symnn.library.engine.passes.Domain`).

* :data:`SYMBOLIC` — exact SymPy matrices (what the sheets print);
* :data:`EXACT` — ``QQ``/``EXRAW`` DomainMatrix (the library's fast exact path);
* :class:`BallDomain` — python-flint ``arb_mat`` balls (certified decimals, multi-step training);
* :class:`IntervalDomain` — rigorous rational intervals (``symnn check``'s recomputations).
"""

from symnn.library.engine.domains.balls import BALL_DOMAIN, BallDomain
from symnn.library.engine.domains.exact import EXACT, Exact
from symnn.library.engine.domains.intervals import BASE10_DOMAIN, INTERVAL_DOMAIN, IntervalDomain
from symnn.library.engine.domains.symbolic import SYMBOLIC, Symbolic

__all__ = ["BALL_DOMAIN", "BASE10_DOMAIN", "EXACT", "INTERVAL_DOMAIN", "SYMBOLIC", "BallDomain", "Exact",
           "IntervalDomain", "Symbolic"]
