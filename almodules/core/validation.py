"""Argument checks that fail early with a message naming the parameter and what is allowed.

Every check raises :class:`ConfigError`, the one error class for bad input: the command line
prints its message (exit status 2) and lets every other exception keep its traceback, so a
programming bug is never mistaken for a user's mistake. ``ConfigError`` derives from both
``ValueError`` and ``TypeError``, so callers that catch either keep working.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

__all__ = [
    "ChoiceRule", "ConfigError", "NumberRule", "check_choice", "check_int", "check_number", "check_finite_matrix",
    "require_columns", "parse_yaml", "not_utf8", "read_utf8",
]


class ConfigError(ValueError, TypeError):
    """A value given by the user is not allowed; the message names it and the allowed values."""


def check_choice(param: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ConfigError` listing them."""
    allowed = list(allowed)
    if value not in allowed:
        raise ConfigError(f"unknown {param} {value!r}; allowed values: {', '.join(sorted(map(str, allowed)))}")
    return value


def check_int(param: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as ``int`` if it is an integer within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{param} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{param} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{param} must be <= {maximum}, got {value}")
    return int(value)


def check_number(param: str, value: Any, *, minimum: float | None = None, maximum: float | None = None,
                 above: float | None = None, below: float | None = None) -> float:
    """Return ``value`` as ``float`` if it is a finite real number within the given bounds.

    ``minimum`` / ``maximum`` are inclusive bounds, ``above`` / ``below`` exclusive ones.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise ConfigError(f"{param} must be a finite number, got {value!r}")
    for bound, ok, word in ((minimum, lambda b: value >= b, ">="), (maximum, lambda b: value <= b, "<="),
                            (above, lambda b: value > b, ">"), (below, lambda b: value < b, "<")):
        if bound is not None and not ok(bound):
            raise ConfigError(f"{param} must be {word} {bound}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class NumberRule:
    """The allowed values of one numeric strategy parameter, declared on its registry entry.

    Parameters
    ----------
    integer : bool
        Whole numbers only (checked with :func:`check_int`), else any finite number.
    minimum, maximum, above, below : float, optional
        Bounds as in :func:`check_number` (``above`` / ``below`` are exclusive).
    optional : bool
        ``None`` is allowed too (the parameter then takes its automatic value).
    """

    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    below: float | None = None
    optional: bool = False

    def check(self, param: str, value: Any) -> Any:
        """``value`` checked against the rule (``None`` passes when optional)."""
        if value is None and self.optional:
            return None
        if self.integer:
            if self.above is not None or self.below is not None:
                raise AssertionError("integer rules take inclusive bounds")
            return check_int(param, value, minimum=self.minimum, maximum=self.maximum)
        return check_number(param, value, minimum=self.minimum, maximum=self.maximum, above=self.above,
                            below=self.below)


@dataclass(frozen=True)
class ChoiceRule:
    """The allowed values of one strategy parameter that names a variant (``fill="random"``)."""

    choices: tuple[str, ...]

    def check(self, param: str, value: Any) -> str:
        """``value`` if it is one of :attr:`choices`."""
        return check_choice(param, value, self.choices)


def check_finite_matrix(param: str, X: Any, *, rows: int | None = None) -> np.ndarray:
    """Return ``X`` as a C-contiguous float32 2-D array, rejecting NaN/inf and a wrong row count."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ConfigError(f"{param} must be a 2-D array (rows x features), got shape {X.shape}")
    if rows is not None and X.shape[0] != rows:
        raise ConfigError(f"{param} has {X.shape[0]} rows but the dataset has {rows}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    # Row blocks keep the boolean mask small (a whole 560k x 4096 mask would be 2.3 GB).
    step = max(1, (64 << 20) // max(1, X.shape[1]))
    bad = sum(int((~np.isfinite(X[i:i + step])).any(axis=1).sum()) for i in range(0, X.shape[0], step))
    if bad:
        raise ConfigError(f"{param} holds NaN or infinite values in {bad} rows; recompute the embeddings")
    return X


def require_columns(frame: Any, columns: Sequence[str], what: str) -> None:
    """Raise :class:`ConfigError` when the table ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(f"{what} needs columns {missing}; got {list(frame.columns)}")


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a mapping that names a key twice (YAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # "<<: *anchor" merges, not a key
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, where: str) -> Any:
    """``text`` parsed as YAML (safe, duplicate keys refused); a malformed text raises ConfigError naming ``where``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(f"{where} is not valid YAML: {detail}") from None


def not_utf8(path, exc: UnicodeDecodeError) -> ConfigError:
    """The refusal of a text file that is not UTF-8: names the file, the byte and how to convert it."""
    return ConfigError(f"{path} is not UTF-8 text (byte {exc.start} is {exc.object[exc.start:exc.start + 1]!r}); "
                       "save it as UTF-8, e.g. iconv -f latin1 -t utf-8 in > out (or your editor's 'save with "
                       "encoding UTF-8')")


def read_utf8(path) -> str:
    """The text of ``path``; ConfigError (:func:`not_utf8`) when it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
