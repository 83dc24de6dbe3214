"""The words of the LaTeX that :mod:`symnn.verify.syntax.tokens` reads, and the tokens they become.

Plain tables, no logic: which characters and commands are operators or brackets, which
are spacing, which name a function, a Greek letter, a style or an accent, and what
``\\left`` and ``\\right`` may be followed by.  Adding a word to the reader is adding it
to one of these tables.
"""

from __future__ import annotations

import re

LEXEME = re.compile(r"\\[A-Za-z]+\*?|\\.|\\$|\d+(?:\.\d+)?|\.\d+|\s+|.", re.DOTALL)
"""One lexeme: a command, an escaped character, a number, a run of white space, or a character."""
OPEN_PAREN_AHEAD = re.compile(
    r"\s*(?:'|\u2019|\u2032|\^\s*\\prime\b|\^\s*\{\s*\\prime\s*\})?"
    r"\s*(?:\\left\s*|\\[bB]igg?l?\s*)?\("
)
"""An opening parenthesis ahead, perhaps after a prime: what makes a name a function call."""

OPERAND_EXPECTED = frozenset(
    "_PLUS _MINUS _TIMES _DIV _ODOT _COMMA _LPAR _LBRACK _LBRACE _LABS _AMP _ROWSEP "
    "_BEGIN_MATRIX _BEGIN_CASES _CARET _FRAC _SQRT _INDEX_OPEN FUNCTION COMPARISON".split()
)
"""Terminals that leave the parser expecting an operand next (decides what ``|`` opens)."""
SIGNS = frozenset({"_PLUS", "_MINUS"})
"""Terminals that are signs when an operand is due."""
OPENERS = frozenset({"_LPAR", "_LBRACK", "_LABS"})
"""Terminals that open a bracket."""
CLOSERS = frozenset({"_RPAR", "_RBRACK", "_RABS"})
"""Terminals that close a bracket."""

CHARACTERS: dict[str, str] = {
    **dict.fromkeys("+", "_PLUS"),
    **dict.fromkeys("-\u2212\u2013", "_MINUS"),
    **dict.fromkeys("*\u00d7\u00b7\u22c5", "_TIMES"),
    **dict.fromkeys("/\u00f7", "_DIV"),
    **dict.fromkeys("\u2299\u2218", "_ODOT"),
    ",": "_COMMA",
    "(": "_LPAR",
    ")": "_RPAR",
    "[": "_LBRACK",
    "]": "_RBRACK",
}
"""Single characters that are operators or brackets."""

OPERATOR_COMMANDS: dict[str, str] = {
    **dict.fromkeys(("cdot", "times", "ast", "cdotp"), "_TIMES"),
    "div": "_DIV",
    **dict.fromkeys(("odot", "circ"), "_ODOT"),
    "%": "_PERCENT",
    "lvert": "_LABS",
    "rvert": "_RABS",
    "lbrack": "_LBRACK",
    "rbrack": "_RBRACK",
}
"""Commands that are operators or brackets."""

IGNORED_COMMANDS = frozenset(
    [",", ";", ":", "!", ">"]
    + "quad qquad enspace thinspace medspace thickspace negthinspace displaystyle textstyle "
    "scriptstyle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr limits "
    "nolimits nonumber notag mathstrut strut".split()
)
"""Spacing and sizing commands, which do not change the value."""

SKIPPED_WITH_ARGUMENT = frozenset("label tag hspace vspace phantom hphantom vphantom color".split())
"""Commands whose one argument is skipped."""

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
    "nu xi rho varrho tau upsilon phi varphi chi psi omega ell Gamma Delta Theta Lambda Xi "
    "Sigma Upsilon Phi Psi Omega".split()
)
"""Greek letters read as symbols (``\\pi`` is a constant, ``\\sigma`` may be the sigmoid)."""

UNICODE_SYMBOLS = frozenset("αβγδεζηθικλμνξρτυφχψωΓΔΘΛΞΣΦΨΩ")
"""Greek letters typed directly."""

FUNCTION_COMMANDS: dict[str, str] = {
    name: name for name in ("max", "min", "exp", "log", "ln", "tanh")
}
"""Commands that name a function."""

FUNCTION_NAMES: dict[str, str] = {
    "relu": "relu",
    **dict.fromkeys(("leakyrelu", "leaky_relu", "lrelu"), "leaky_relu"),
    **dict.fromkeys(("sigmoid", "sigm"), "sigmoid"),
    **{name: name for name in ("tanh", "softplus", "elu", "exp", "log", "ln", "max", "min")},
    "softmax": "softmax",
    **dict.fromkeys(("sign", "sgn"), "sign"),
}
"""Function names written inside ``\\text{}``, ``\\operatorname{}`` or ``\\mathrm{}`` (lower case)."""

NAMING_COMMANDS = frozenset(
    "text textrm textit textbf textnormal textsf mathrm mathit operatorname mbox".split()
)
"""Commands whose argument is a name: a function, ``e``, or a multi-letter symbol."""

STYLE_COMMANDS = frozenset("mathbf boldsymbol bm mathcal mathbb mathfrak mathsf mathtt".split())
"""Commands whose argument is a styled symbol (bold W is still the name W)."""

ACCENTS = frozenset(
    "hat widehat bar overline tilde widetilde vec dot ddot check breve acute grave".split()
)
"""Accents: ``\\hat{y}`` is the symbol ``hat(y)``."""

MATRIX_ENVIRONMENTS = frozenset("bmatrix pmatrix Bmatrix matrix smallmatrix array".split())
"""Environments read as matrices."""

COMPARISONS: dict[str, str] = {
    **dict.fromkeys(("<", "lt"), "<"),
    **dict.fromkeys((">", "gt"), ">"),
    **dict.fromkeys(("≤", "leq", "le", "leqslant"), "≤"),
    **dict.fromkeys(("≥", "geq", "ge", "geqslant"), "≥"),
}
"""Comparisons a condition of ``\\begin{cases}`` may use (characters and command names)."""
CONDITION_WORDS = frozenset("for if when where".split())
"""Words in ``\\text{}`` that introduce a condition of ``\\begin{cases}`` (skipped)."""
OTHERWISE_WORDS = frozenset("otherwise else".split())
"""Words in ``\\text{}`` that are the condition of a last, catch-all branch."""

DELIMITERS: dict[str, tuple[str | None, str | None]] = {
    **dict.fromkeys(("(", ")", "\\{", "\\}"), ("_LPAR", "_RPAR")),
    **dict.fromkeys(("[", "]"), ("_LBRACK", "_RBRACK")),
    **dict.fromkeys(("|", "\\vert", "\\lvert", "\\rvert"), ("_LABS", "_RABS")),
    ".": (None, None),
}
"""What ``\\left`` and ``\\right`` may be followed by: (token after \\left, token after \\right)."""

FUNCTION_DELIMITERS: dict[str, str] = {"\\lfloor": "floor"}
"""Brackets that are a function (issue 13, the convolution kinds' size rule): ``\\left\\lfloor x \\right\\rfloor``
reads as ``floor(x)``; their closing partners are :data:`FUNCTION_CLOSERS`."""
FUNCTION_CLOSERS = frozenset({"\\rfloor"})
"""The closing brackets of :data:`FUNCTION_DELIMITERS`, read as ``)``."""

BUILT_IN_FUNCTIONS = (frozenset(FUNCTION_NAMES.values()) | frozenset(FUNCTION_COMMANDS.values())
                      | frozenset(FUNCTION_DELIMITERS.values()))
"""Every function the reader knows by name; any other name called is one the sheet defines."""
