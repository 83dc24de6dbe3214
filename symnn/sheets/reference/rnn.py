"""A vanilla (tanh) RNN over T steps, forward and backpropagation through time, in float64 (the reference of
``rnn``).

Written from the recurrences, separately from the exact solver (which differentiates the unrolled loss
with SymPy): a_t = W_x x_t + W_h h_{t-1} + b, h_t = tanh(a_t), y_t = W_y h_t + b_y,
L_t = ½‖y_t − target_t‖² (or without ½), L = Σ L_t; backwards, e_t = ∂L_t/∂y_t,
δ_t = (W_yᵀ e_t + W_hᵀ δ_{t+1}) ⊙ (1 − h_t²), and the gradients sum over the steps.
"""

from __future__ import annotations

import numpy as np

from symnn.sheets.reference.arrays import FloatArray, Rows, Values, as_matrix


def _column(rows: Rows | None, n: int) -> FloatArray:
    return np.zeros((n, 1)) if rows is None else as_matrix(rows).reshape(n, 1)


def evaluate_rnn(x: Rows, W_x: Rows, W_h: Rows, b: Rows | None, h0: Rows | None, W_y: Rows, b_y: Rows | None,
                 y: Rows, loss: str) -> Values:
    """Every step's pre-activation, state, output and loss; the deltas, gradients and ∂h_T/∂h_1.

    >>> from fractions import Fraction as F
    >>> v = evaluate_rnn(((F(1),), (F(2),)), ((F(1, 2),),), ((F(1, 10),),), None, None, ((F(2),),), None,
    ...                  ((F(1),), (F(2),)), "half_sse")
    >>> round(float(v["h1"][0, 0]), 4), round(float(v["y1"][0, 0]), 4)
    (0.4621, 0.9242)
    """
    X, Wx, Wh, Wy = as_matrix(x), as_matrix(W_x), as_matrix(W_h), as_matrix(W_y)
    targets = as_matrix(y)
    steps, hidden, outputs = X.shape[0], Wh.shape[0], Wy.shape[0]
    bias, out_bias = _column(b, hidden), _column(b_y, outputs)
    factor = 1.0 if loss == "sse" else 0.5
    hs = [_column(h0, hidden)]
    out: Values = {}
    errors = []
    total = 0.0
    for t in range(1, steps + 1):
        a = Wx @ X[t - 1].reshape(-1, 1) + Wh @ hs[-1] + bias
        h = np.tanh(a)
        yt = Wy @ h + out_bias
        e = yt - targets[t - 1].reshape(-1, 1)
        step_loss = factor * float(np.sum(e * e))
        out[f"a{t}"], out[f"h{t}"], out[f"y{t}"], out[f"L{t}"] = a, h, yt, step_loss
        hs.append(h)
        errors.append(2 * factor * e)
        total += step_loss
    out["L"] = total
    deltas: list[FloatArray] = [np.zeros((hidden, 1))] * (steps + 2)
    for t in range(steps, 0, -1):
        back = Wy.T @ errors[t - 1] + (Wh.T @ deltas[t + 1] if t < steps else 0.0)
        deltas[t] = back * (1 - hs[t] ** 2)
        out[f"delta{t}"] = deltas[t]
    out["dL_dW_y"] = sum((errors[t - 1] @ hs[t].T for t in range(1, steps + 1)), np.zeros_like(Wy))
    out["dL_db_y"] = sum((errors[t - 1] for t in range(1, steps + 1)), np.zeros_like(out_bias))
    out["dL_dW_x"] = sum((deltas[t] @ X[t - 1].reshape(1, -1) for t in range(1, steps + 1)), np.zeros_like(Wx))
    out["dL_dW_h"] = sum((deltas[t] @ hs[t - 1].T for t in range(1, steps + 1)), np.zeros_like(Wh))
    out["dL_db"] = sum((deltas[t] for t in range(1, steps + 1)), np.zeros_like(bias))
    if steps >= 2:
        product = np.eye(hidden)
        for t in range(2, steps + 1):
            product = (1 - hs[t] ** 2) * Wh @ product
        out[f"dh{steps}_dh1"] = product
    return out


def _sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return out


def evaluate_cell(cell: str, x: Rows, W_x: Rows, W_h: Rows, b: Rows | None, h0: Rows | None,
                  c0: Rows | None) -> Values:
    """One step of an LSTM (gates i, f, g, o stacked in that order) or a GRU (r, z, n).

    LSTM: c_1 = f ⊙ c_0 + i ⊙ g, h_1 = o ⊙ tanh(c_1).  GRU: n = tanh(W_xn x + r ⊙ (W_hn h_0) + b_n),
    h_1 = (1 − z) ⊙ n + z ⊙ h_0.

    >>> from fractions import Fraction as F
    >>> one = ((F(0),),)
    >>> float(evaluate_cell("gru", one, ((F(0),),) * 3, ((F(0),),) * 3, None, None, None)["z"][0, 0])
    0.5
    """
    Wx, Wh = as_matrix(W_x), as_matrix(W_h)
    n = Wh.shape[1]
    gates = Wh.shape[0] // n
    inputs = as_matrix(x).reshape(-1, 1)
    h = _column(h0, n)
    bias = _column(b, gates * n)
    block = [slice(k * n, (k + 1) * n) for k in range(gates)]
    if cell == "lstm":
        z = Wx @ inputs + Wh @ h + bias
        i, f, g, o = _sigmoid(z[block[0]]), _sigmoid(z[block[1]]), np.tanh(z[block[2]]), _sigmoid(z[block[3]])
        c = f * _column(c0, n) + i * g
        return {"i": i, "f": f, "g": g, "o": o, "c1": c, "h1": o * np.tanh(c)}
    r = _sigmoid(Wx[block[0]] @ inputs + Wh[block[0]] @ h + bias[block[0]])
    u = _sigmoid(Wx[block[1]] @ inputs + Wh[block[1]] @ h + bias[block[1]])
    candidate = np.tanh(Wx[block[2]] @ inputs + r * (Wh[block[2]] @ h) + bias[block[2]])
    return {"r": r, "z": u, "n": candidate, "h1": (1 - u) * candidate + u * h}
