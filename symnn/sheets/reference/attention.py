"""Scaled dot-product attention, forward and backward, in float64 (the reference of ``attention``).

Written from the matrix formulas, separately from the exact solver (which differentiates
its forward definition with SymPy): S = Q Kᵀ/√d, A = softmax of each row of S over the
keys the mask allows, O = A V; with G = ∂L/∂O, ∂L/∂A = G Vᵀ, ∂L/∂V = Aᵀ G,
∂L/∂S = A ⊙ (∂L/∂A − rowsum(A ⊙ ∂L/∂A)), ∂L/∂Q = ∂L/∂S K/√d, ∂L/∂K = (∂L/∂S)ᵀ Q/√d.
Several heads split the columns of Q, K (d) and V into equal blocks.
"""

from __future__ import annotations

import math

import numpy as np

from symnn.sheets.reference.arrays import FloatArray, Rows, Values, as_matrix


def row_softmax(S: FloatArray, allowed: FloatArray) -> FloatArray:
    """Softmax of each row over its allowed entries (others get weight 0), shifted by the row maximum."""
    masked = np.where(allowed > 0, S, -np.inf)
    shifted = np.exp(masked - masked.max(axis=1, keepdims=True))
    weights: FloatArray = shifted / shifted.sum(axis=1, keepdims=True)
    return weights


def head_names(heads: int) -> list[str]:
    """The per-head suffix of quantity names: none for one head, 1 … h for several."""
    return [""] if heads == 1 else [str(h) for h in range(1, heads + 1)]


def evaluate_attention(Q: Rows, K: Rows, V: Rows, mask: Rows | None, upstream: Rows | None,
                       heads: int) -> Values:
    """Scores, weights and output of every head, the concatenated output and, given ∂L/∂O, the gradients.

    >>> from fractions import Fraction as F
    >>> one = ((F(1),),)
    >>> round(float(evaluate_attention(one, one, one, None, one, 1)["A"][0, 0]), 3)
    1.0
    """
    q, k, v = as_matrix(Q), as_matrix(K), as_matrix(V)
    allowed = np.ones((q.shape[0], k.shape[0])) if mask is None else as_matrix(mask)
    g = None if upstream is None else as_matrix(upstream)
    dk_, dv_ = q.shape[1] // heads, v.shape[1] // heads
    out: Values = {}
    outputs, dQ, dK, dV = [], [], [], []
    for h, tag in enumerate(head_names(heads)):
        qh, kh = q[:, h * dk_:(h + 1) * dk_], k[:, h * dk_:(h + 1) * dk_]
        vh = v[:, h * dv_:(h + 1) * dv_]
        root = math.sqrt(dk_)
        S = qh @ kh.T / root
        A = row_softmax(S, allowed)
        O = A @ vh
        out[f"S{tag}"], out[f"A{tag}"] = S, A
        if heads > 1:
            out[f"O{tag}"] = O
        outputs.append(O)
        if g is not None:
            gh = g[:, h * dv_:(h + 1) * dv_]
            dA = gh @ vh.T
            dS = A * (dA - (A * dA).sum(axis=1, keepdims=True))
            out[f"dL_dA{tag}"], out[f"dL_dS{tag}"] = dA, dS
            dV.append(A.T @ gh)
            dQ.append(dS @ kh / root)
            dK.append(dS.T @ qh / root)
    out["O"] = np.hstack(outputs)
    if g is not None:
        out["dL_dV"], out["dL_dQ"], out["dL_dK"] = np.hstack(dV), np.hstack(dQ), np.hstack(dK)
    return out


def attention_loss(Q: FloatArray, K: FloatArray, V: FloatArray, allowed: FloatArray, G: FloatArray,
                   heads: int) -> float:
    """L = Σ G ⊙ O, the scalar whose gradient at O is G (for finite differences)."""
    dk_, dv_ = Q.shape[1] // heads, V.shape[1] // heads
    total = 0.0
    for h in range(heads):
        S = Q[:, h * dk_:(h + 1) * dk_] @ K[:, h * dk_:(h + 1) * dk_].T / math.sqrt(dk_)
        total += float(np.sum(G[:, h * dv_:(h + 1) * dv_] * (row_softmax(S, allowed) @ V[:, h * dv_:(h + 1) * dv_])))
    return total

