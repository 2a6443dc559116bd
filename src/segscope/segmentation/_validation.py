"""Small helpers shared by the segmentation estimators.

Every estimator validates its parameters in ``fit`` (scikit-learn contract) and
raises ``ValueError`` with a message that names the parameter and what is allowed.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_choice(name: str, value, allowed) -> None:
    """Raise if ``value`` is not one of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"invalid value for parameter {name!r}: {value!r}; allowed values: "
            + ", ".join(repr(a) for a in allowed)
        )


def check_number(
    name: str,
    value,
    *,
    low=None,
    high=None,
    integer: bool = False,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_none: bool = False,
) -> None:
    """Raise if ``value`` is not a (finite) number inside the given range."""
    if value is None and allow_none:
        return
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"invalid value for parameter {name!r}: {value!r}; expected {kind}")
    if integer and not float(value).is_integer():
        raise ValueError(f"invalid value for parameter {name!r}: {value!r}; expected {kind}")
    if not np.isfinite(value):
        raise ValueError(
            f"invalid value for parameter {name!r}: {value!r}; expected a finite value"
        )
    if low is not None:
        bad = value < low if low_inclusive else value <= low
        if bad:
            op = ">=" if low_inclusive else ">"
            raise ValueError(f"invalid value for parameter {name!r}: {value!r}; must be {op} {low}")
    if high is not None:
        bad = value > high if high_inclusive else value >= high
        if bad:
            op = "<=" if high_inclusive else "<"
            raise ValueError(
                f"invalid value for parameter {name!r}: {value!r}; must be {op} {high}"
            )


def check_seed(name: str, value) -> int:
    """Turn ``random_state`` (None or int) into an int seed.

    Only ``None`` and integers are accepted: a shared ``RandomState`` instance
    would make results depend on call order, which the tree must avoid.
    ``None`` means 0 so that results are reproducible by default.
    """
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(
            f"invalid value for parameter {name!r}: {value!r}; expected None or a non-negative int"
        )
    return int(value)


def derive_seed(seed: int, *keys) -> int:
    """A reproducible child seed from a base seed and any keys (node path, purpose)."""
    material = [int(seed)]
    for key in keys:
        if isinstance(key, str):
            material.extend(key.encode("utf-8"))
            material.append(256)
        else:
            material.append(int(key))
    return int(np.random.SeedSequence(material).generate_state(1)[0] & 0x7FFFFFFF)


def as_float_matrix(X, name: str = "X") -> np.ndarray:
    """A writable, C-contiguous float64 copy of ``X`` with every value finite."""
    arr = np.array(X, dtype=np.float64, copy=True, order="C")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional, got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        bad = np.where(~np.isfinite(arr).all(axis=0))[0]
        raise ValueError(f"{name} contains NaN or inf in column(s) {bad.tolist()}")
    return arr
