"""Kind ``network``: forward pass, loss, backpropagation and gradient-descent steps of a dense network.

Everything symnn knows about the kind is declared once, in :data:`NETWORK`, from these modules:

* :mod:`~symnn.sheets.kinds.network.data` — the typed given data (:class:`DenseNetwork`), its checks,
  statement, the rules rejecting a poor random draw, and the numpy twin;
* :mod:`~symnn.sheets.kinds.network.setting` — the exercise in the network engine's terms and its exact
  values (:mod:`symnn.library.engine` over SymPy matrices);
* :mod:`~symnn.sheets.kinds.network.writing` — one layer as steps (shared with kind ``forward``);
* :mod:`~symnn.sheets.kinds.network.derivation` — the first pass written out;
* :mod:`~symnn.sheets.kinds.network.training` — gradient-descent steps, exact or certified;
* :mod:`~symnn.sheets.kinds.network.solve` — the worked solution, in that order;
* :mod:`~symnn.sheets.kinds.network.recipes` — ``symnn check``'s recomputations and named mistakes
  (the engine over intervals).
"""

from __future__ import annotations

from symnn.sheets.kinds.base import Kind
from symnn.sheets.kinds.network.data import (
    DenseNetwork,
    network_reference,
    network_rejects,
    network_statement,
)
from symnn.sheets.kinds.network.recipes import network_recipes
from symnn.sheets.kinds.network.setting import (
    Params,
    Setting,
    backward_values,
    descend,
    forward_values,
    setting_of,
)
from symnn.sheets.kinds.network.solve import solve_network

__all__ = ["NETWORK", "DenseNetwork", "Params", "Setting", "backward_values", "descend", "forward_values",
           "setting_of", "solve_network"]

NETWORK: Kind[DenseNetwork] = Kind(
    name="network", data=DenseNetwork, solve=solve_network, reference=network_reference,
    statement=network_statement, rejects=network_rejects, recipes=network_recipes)
"""The declaration of kind ``network``."""
