"""One dense-network engine, parameterised by the number domain.

* :mod:`~symnn.library.engine.rules` — what each layer and the loss compute, as SymPy rules
  from :mod:`symnn.core.calculus` (:class:`LayerRule`, :class:`Objective`);
* :mod:`~symnn.library.engine.passes` — the per-layer primitives (affine, activation, its
  slope, output and hidden deltas, gradients, descent step, loss with its reduction) and the
  forward/backward/training passes composed from them, once, over any :class:`Domain`;
* :mod:`~symnn.library.engine.domains` — the domains: exact SymPy matrices (sheets), ``QQ``
  DomainMatrix (library), arb balls (certified values), rational intervals (``symnn check``).

>>> import sympy as sp
>>> from symnn.library.engine import SYMBOLIC, Network, Objective, Params, layer_rule
>>> net = Network(sp.ImmutableMatrix([[1], [2]]), sp.ImmutableMatrix([[0]]),
...               (layer_rule("relu"), layer_rule("identity")), Objective.of("half_sse"))
>>> params = Params((sp.ImmutableMatrix([[1, -1], [2, 1]]), sp.ImmutableMatrix([[3, -1]])), (None, None))
>>> values = net.forward(SYMBOLIC, params)
>>> values.As[-1], net.loss(SYMBOLIC, values.As[-1])
(Matrix([[-4]]), 8)
>>> net.deltas(SYMBOLIC, params, values)
[Matrix([
[0],
[4]]), Matrix([[-4]])]
"""

from symnn.library.engine.domains import (
    BALL_DOMAIN,
    BASE10_DOMAIN,
    EXACT,
    INTERVAL_DOMAIN,
    SYMBOLIC,
    BallDomain,
    IntervalDomain,
)
from symnn.library.engine.passes import (
    Domain,
    Network,
    Params,
    Pass,
    activate,
    affine,
    backpropagated,
    backward,
    bias_gradient,
    descend,
    descent,
    forward,
    gradients,
    hidden_delta,
    loss_slope,
    loss_value,
    output_delta,
    slope,
    weight_gradient,
)
from symnn.library.engine.rules import (
    ColumnRule,
    LayerRule,
    Objective,
    Rule,
    default_reduction,
    layer_rule,
    softmax_delta_rules,
)

__all__ = [
    "BALL_DOMAIN", "BASE10_DOMAIN", "EXACT", "INTERVAL_DOMAIN", "SYMBOLIC", "BallDomain", "IntervalDomain", "ColumnRule", "Domain", "LayerRule", "Network",
    "Objective", "Pass", "Params", "Rule", "activate", "affine", "backpropagated", "backward", "bias_gradient",
    "default_reduction", "descend", "descent", "forward", "gradients", "hidden_delta", "layer_rule",
    "loss_slope", "loss_value", "output_delta", "slope", "softmax_delta_rules", "weight_gradient",
]
