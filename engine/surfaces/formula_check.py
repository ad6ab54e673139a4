"""Size limits and the whitelist walk over the parsed AST of a formula (see `formula.py`).

Everything not listed as allowed is rejected, with the column of the offending part; when a
formula has several problems the leftmost is reported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from engine.surfaces.formula_limits import (
    ALLOWED_NAMES_TEXT,
    CONSTANTS,
    FUNCTIONS,
    MAX_CONSTANT,
    MAX_DEPTH,
    MAX_NODES,
    VARIABLES,
    FormulaError,
)

_ALLOWED_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_BINOP_MESSAGES = {
    ast.BitXor: "'^' is not a power here; use ** for powers, e.g. x**2",
    ast.FloorDiv: "'//' is not allowed; use / for division",
    ast.Mod: "'%' is not allowed",
    ast.MatMult: "'@' is not allowed",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
    ast.BitAnd: "'&' is not allowed",
    ast.BitOr: "'|' is not allowed",
}
_NODE_MESSAGES = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "subscripts ([...]) are not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.List: "lists ([...]) are not allowed",
    ast.Tuple: "tuples (a, b) are not allowed",
    ast.Set: "sets ({...}) are not allowed",
    ast.Dict: "dicts ({...}) are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.FormattedValue: "strings are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.IfExp: "conditional expressions (a if c else b) are not allowed",
    ast.Compare: "comparisons (<, >, ==, ...) are not allowed",
    ast.BoolOp: "'and' / 'or' are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}


@dataclass(frozen=True)
class Located:
    """The parsed text (after `lead` stripped leading spaces) and column arithmetic for its nodes."""

    body: str
    lead: int

    def column(self, node: ast.AST) -> int:
        return getattr(node, "col_offset", 0) + 1 + self.lead

    def snippet(self, node: ast.AST, limit: int = 40) -> str:
        text = self.body[node.col_offset:node.end_col_offset]
        return text if len(text) <= limit else text[: limit - 3] + "..."


def op_column(where: Located, node: ast.BinOp) -> int:
    """Column of a binary operator: the first character between the operands that is not ( ) or space."""
    start, stop = node.left.end_col_offset, node.right.col_offset
    for i in range(start, stop):
        if where.body[i] not in " ()":
            return i + 1 + where.lead
    return where.column(node)


def _chains(parent: ast.AST, child: ast.AST) -> bool:
    """a + b - c (or a * b / c) is one level of nesting, not three: the left child continues the chain."""
    if not (isinstance(parent, ast.BinOp) and isinstance(child, ast.BinOp) and child is parent.left):
        return False
    families = ((ast.Add, ast.Sub), (ast.Mult, ast.Div))
    return any(isinstance(parent.op, f) and isinstance(child.op, f) for f in families)


def check_size(tree: ast.Expression, where: Located) -> None:
    """At most MAX_NODES expression nodes and nesting depth MAX_DEPTH (iterative: no recursion yet)."""
    nodes = [node for node in ast.walk(tree) if isinstance(node, ast.expr)]  # ast.walk is iterative
    if len(nodes) > MAX_NODES:
        columns = sorted(op_column(where, n) if isinstance(n, ast.BinOp) else where.column(n) for n in nodes)
        first_extra = columns[MAX_NODES]  # where the part over the limit starts, left to right
        raise FormulaError(f"the formula has too many parts: {len(nodes)} numbers, names and "
                           f"operations (at most {MAX_NODES})", first_extra)
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr) and depth > MAX_DEPTH:
            raise FormulaError(f"the formula is nested too deeply (at most {MAX_DEPTH} levels)",
                               where.column(node))
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth if _chains(node, child) else depth + 1))


def check_whitelist(tree: ast.Expression, where: Located) -> None:
    """Raise FormulaError for the leftmost part that is not whitelisted (outermost on a tie)."""
    problems: list[tuple[int, int, str]] = []
    _check(tree.body, where, problems, 0)
    if problems:
        column, _depth, message = min(problems)
        raise FormulaError(message, column)


def _check(node: ast.AST, where: Located, problems: list, depth: int) -> None:
    def problem(message: str, column: int | None = None) -> None:
        problems.append((where.column(node) if column is None else column, depth, message))

    if isinstance(node, ast.Constant):
        _check_constant(node, where, problem)
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            problem(f"'{node.id}' is a function: call it with one argument, e.g. {node.id}(x)")
        elif node.id not in VARIABLES and node.id not in CONSTANTS:
            hint = f" (did you mean '{node.id.lower()}'?)" if node.id.lower() in VARIABLES else ""
            problem(f"name '{node.id}' is not allowed{hint}; {ALLOWED_NAMES_TEXT}")
    elif isinstance(node, ast.BinOp):
        if not isinstance(node.op, _ALLOWED_BINOPS):
            message = _BINOP_MESSAGES.get(type(node.op), "this operator is not allowed")
            problem(message, op_column(where, node))
        _check(node.left, where, problems, depth + 1)
        _check(node.right, where, problems, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            problem("'not' is not allowed")
        elif isinstance(node.op, ast.Invert):
            problem("'~' is not allowed")
        _check(node.operand, where, problems, depth + 1)
    elif isinstance(node, ast.Call):
        _check_call(node, where, problems, depth, problem)
    else:
        problem(_NODE_MESSAGES.get(type(node), f"'{where.snippet(node)}' is not allowed"),
                _attribute_column(where, node))
        for child in ast.iter_child_nodes(node):  # an earlier culprit inside, e.g. __import__(...).system
            if isinstance(child, ast.expr):
                _check(child, where, problems, depth + 1)


def _check_constant(node: ast.Constant, where: Located, problem) -> None:
    value = node.value
    if isinstance(value, bool) or value is None:
        problem(f"'{value}' is not allowed; only numbers, x, y, pi and e")
    elif isinstance(value, complex):
        problem("complex numbers (j) are not allowed")
    elif isinstance(value, (int, float)):
        if not abs(value) <= MAX_CONSTANT:  # exact for ints of any size; catches inf (1e400)
            problem(f"number {where.snippet(node)} is out of range: |number| must be at most "
                    f"{MAX_CONSTANT:g}")
    elif isinstance(value, (str, bytes)):
        problem("strings are not allowed")
    else:  # Ellipsis
        problem(f"'{where.snippet(node)}' is not allowed")


def _check_call(node: ast.Call, where: Located, problems: list, depth: int, problem) -> None:
    func = node.func
    if not isinstance(func, ast.Name):  # reported at its '(' so that a culprit inside func comes first
        problem("only the listed functions can be called, by name: " + ", ".join(FUNCTIONS),
                where.column(func) + func.end_col_offset - func.col_offset)
        _check(func, where, problems, depth + 1)
    elif func.id not in FUNCTIONS:
        problem(f"function '{func.id}' is not allowed; allowed functions: {', '.join(FUNCTIONS)}")
        return
    for keyword in node.keywords:
        problem("keyword arguments are not allowed", where.column(keyword))
    if isinstance(func, ast.Name) and len(node.args) != 1 and not node.keywords:
        column = where.column(node.args[1]) if len(node.args) > 1 else where.column(node)
        problem(f"{func.id}() takes exactly one argument, got {len(node.args)}", column)
    for arg in node.args:
        _check(arg, where, problems, depth + 1)


def _attribute_column(where: Located, node: ast.AST) -> int:
    """Point at the '.' of x.attr rather than at x."""
    if isinstance(node, ast.Attribute):
        for i in range(node.value.end_col_offset, node.end_col_offset):
            if where.body[i] == ".":
                return i + 1 + where.lead
    return where.column(node)
