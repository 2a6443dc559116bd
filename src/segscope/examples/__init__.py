"""Worked examples on real public data: loaders that put a data set where the project's
source-mapping vars can point at it (see ``examples/`` at the project root)."""
