"""A cheap upper estimate of the size of a derivative, to refuse a formula before sympy builds it.

Why: the product rule turns a product of k factors into k products of k factors, so a
200-node formula like 1/(x+1)/(x+2)/.../(x+49) has a 300 000-node second derivative that takes
sympy seconds to build and compile. `derivative_size(e)` bounds the tree size (as counted by
`sympy.preorder_traversal`) of d e / d v for either variable v, in O(size of e), using

    atom: 1                       sum: 1 + sum of the terms' bounds
    product f_1...f_k: 1 + sum_i (size - size(f_i) + bound(f_i))
    b**n (numeric n): size(b) + bound(b) + 4
    b**e (e with x or y): size + size(e) + bound(e) + 2 size(b) + bound(b) + 8
    g(u, ...): sum over arguments of size(u) + bound(u) + 11   (g'(u) is at most u + 10 nodes, times u')
"""

from __future__ import annotations

import sympy as sp


def tree_size(expr: sp.Expr, memo: dict | None = None) -> int:
    memo = {} if memo is None else memo
    if expr not in memo:
        memo[expr] = 1 + sum(tree_size(a, memo) for a in expr.args)
    return memo[expr]


def derivative_size(expr: sp.Expr) -> int:
    """Upper estimate of the tree size of the first derivative of `expr` in x or in y."""
    sizes: dict = {}
    bounds: dict = {}

    def bound(e: sp.Expr) -> int:
        if e in bounds:
            return bounds[e]
        size = tree_size(e, sizes)
        if not e.args:
            result = 1
        elif e.is_Add:
            result = 1 + sum(bound(a) for a in e.args)
        elif e.is_Mul:
            result = 1 + sum(size - tree_size(a, sizes) + bound(a) for a in e.args)
        elif e.is_Pow:
            base, exp = e.args
            if exp.free_symbols:
                result = (size + tree_size(exp, sizes) + bound(exp) + 2 * tree_size(base, sizes)
                          + bound(base) + 8)
            else:
                result = tree_size(base, sizes) + bound(base) + 4
        else:  # a function: g'(u) is at most u plus ten nodes, times u' (per argument)
            result = sum(tree_size(a, sizes) + bound(a) + 11 for a in e.args)
        bounds[e] = result
        return result

    return bound(expr)
