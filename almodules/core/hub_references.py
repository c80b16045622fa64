"""Hugging Face hub ids, and options, written where a dataset or embedder name is accepted.

``hub:OWNER/NAME`` names a hub repository (``hub:OWNER/NAME:CONFIG`` a dataset config), and a
``?key=value&key=value`` tail gives options: the column mapping of a dataset, the pooling or
prompt of an embedder. The same tail works on a model folder's path. One syntax for the command
line, grid files and notebook parameters alike::

    hub:SetFit/bbc-news?label=label_text
    hub:nyu-mll/glue:sst2?text=sentence&splits=train,validation
    hub:sentence-transformers/all-MiniLM-L6-v2?max_length=128
    ./models/my-encoder?pooling=cls&normalize=true
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from almodules.core.validation import ConfigError, check_choice

__all__ = ["HUB_PREFIX", "Reference", "is_hub", "parse_reference", "registry_slug"]

HUB_PREFIX = "hub:"
"""What marks a hub id among dataset and embedder names."""

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


@dataclass(frozen=True)
class Reference:
    """A parsed name: the hub id or path, the dataset config, and the options."""

    target: str
    hub: bool
    config: str | None
    options: dict[str, str]


def is_hub(name: object) -> bool:
    """Whether ``name`` is a ``hub:`` reference."""
    return isinstance(name, str) and name.startswith(HUB_PREFIX)


def parse_reference(param: str, name: str, allowed: tuple[str, ...]) -> Reference:
    """Split ``name`` into hub id or path, config and options, each option checked against ``allowed``.

    Raises
    ------
    ConfigError
        For a malformed hub id, an option without a value, a repeated or unknown option.
    """
    body, _, tail = name.partition("?")
    try:
        pairs = parse_qsl(tail, keep_blank_values=True, strict_parsing=bool(tail))
    except ValueError:
        raise ConfigError(f"{param} {name!r}: options must read ?key=value&key=value; "
                          f"allowed keys: {', '.join(allowed)}") from None
    options: dict[str, str] = {}
    for key, value in pairs:
        check_choice(f"option of {param} {name!r}", key, allowed)
        if key in options or not value:
            raise ConfigError(f"{param} {name!r}: option {key!r} must be given once, with a value")
        options[key] = value
    if not is_hub(body):
        return Reference(body, False, None, options)
    repo, _, config = body[len(HUB_PREFIX):].partition(":")
    if not _HUB_ID.fullmatch(repo):
        raise ConfigError(f"{param} {name!r}: a hub id reads hub:OWNER/NAME (or hub:OWNER/NAME:CONFIG), "
                          f"got {repo!r}")
    return Reference(repo, True, config or None, options)


def registry_slug(ref: Reference) -> str:
    """The registry name of a hub reference: ``owner--name`` (``--config``), lowercase, path-safe."""
    parts = ref.target.split("/") + ([ref.config] if ref.config else [])
    return "--".join(parts).lower()
