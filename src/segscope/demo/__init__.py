"""Deterministic demo data: an online learning platform with planted personas.

``generate(con, n_users, seed, schema, as_of)`` (re)creates ``{schema}.users``,
``{schema}.events`` and ``{schema}.persona_truth`` in DuckDB SQL; ``python -m segscope.demo``
does the same into a DuckDB file. ``PERSONAS`` (see :mod:`segscope.demo.personas`) is the
single source of the parameters, including the features each persona was made to differ
on (``planted_differences``).
"""

from segscope.demo.generator import build_statements, generate
from segscope.demo.personas import PERSONAS, planted_differences

__all__ = ["PERSONAS", "build_statements", "generate", "planted_differences"]
