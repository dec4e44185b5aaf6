"""The grammar, in Lark's notation, and the one LALR parser built from it.

LALR because it is fast (one pass, no backtracking), and because Lark checks an LALR
grammar for ambiguity when it is built: a conflict fails at import, never at run time
with a surprising parse. Loosest binding first::

    or  <  and  <  not  <  = != < <= > >= in, not in, is null  <  + -  <  * / %  <  unary -

Comparisons do not chain: ``1 < x < 5`` is a syntax error rather than something that
means one thing in Python and another in SQL. Keywords are case-insensitive (``AND``
works) and reserved, so no item may be called ``and``, ``in``, ``null``...
"""
from __future__ import annotations

from lark import Lark

__all__ = ["GRAMMAR", "KEYWORDS", "PARSER"]

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false"})

GRAMMAR = r"""
start: expr

?expr: or_expr

?or_expr: and_expr
    | or_expr OR and_expr               -> binary

?and_expr: not_expr
    | and_expr AND not_expr             -> binary

?not_expr: comparison
    | NOT not_expr                      -> unary

?comparison: sum
    | sum COMPARE sum                   -> binary
    | sum IN collection                 -> in_list
    | sum NOT IN collection             -> not_in_list
    | sum IS NULL                       -> is_null
    | sum IS NOT NULL                   -> is_not_null

?sum: product
    | sum ADD product                   -> binary

?product: unary
    | product MUL unary                 -> binary

?unary: atom
    | ADD unary                         -> unary

?atom: NUMBER                           -> number
    | STRING                            -> string
    | TRUE                              -> true
    | FALSE                             -> false
    | NULL                              -> null
    | NAME                              -> ref
    | NAME LPAR [arguments] RPAR        -> call
    | LPAR expr RPAR                    -> group

// A list literal may only follow `in`; anywhere else it is a syntax error.
?collection: list
    | NAME                              -> ref

list: LSQB [arguments] RSQB
arguments: expr ("," expr)*

// Keywords outrank NAME (priority 2) and end at a word boundary, so `income` is a
// name and `in` is a keyword.
OR.2: /or\b/i
AND.2: /and\b/i
NOT.2: /not\b/i
IN.2: /in\b/i
IS.2: /is\b/i
NULL.2: /null\b/i
TRUE.2: /true\b/i
FALSE.2: /false\b/i

NAME: /[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/
NUMBER: /[0-9]+(\.[0-9]+)?/
STRING: /"(?:[^"\\\n]|\\.)*"/ | /'(?:[^'\\\n]|\\.)*'/
COMPARE: "==" | "!=" | "<>" | "<=" | ">=" | "=" | "<" | ">"
ADD: "+" | "-"
MUL: "*" | "/" | "%"
LPAR: "("
RPAR: ")"
LSQB: "["
RSQB: "]"

%import common.WS
%ignore WS
"""

#: Built once at import. The basic lexer sees every terminal everywhere, so a keyword is
#: a keyword in any position (the contextual lexer would let ``x = and`` read ``and`` as a name).
PARSER = Lark(GRAMMAR, parser="lalr", lexer="basic", maybe_placeholders=True)
