"""A registry: the built-in entries of one concept plus those a user registers in this process.

The dataset and embedder registries are instances; each is a read-only mapping from name to spec
(``registry["trec6"]``), so every list of names is derived from it and never typed twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar

from almodules.core.validation import ConfigError, check_choice

__all__ = ["Registry"]

Spec = TypeVar("Spec")


class Registry(Mapping[str, Spec], Generic[Spec]):
    """Specs by name: built-in ones, which stay, and registered ones, which can be replaced or removed.

    Parameters
    ----------
    kind : str
        What an entry is ("dataset", "embedder"), for messages.
    spec_type : type
        The class every entry must be an instance of; entries are keyed by their ``name``.
    built_in : iterable of spec_type
    """

    def __init__(self, kind: str, spec_type: type, built_in: Iterable[Spec]) -> None:
        self.kind, self.spec_type = kind, spec_type
        self._entries = {spec.name: spec for spec in built_in}
        self._built_in = frozenset(self._entries)

    def __getitem__(self, name: str) -> Spec:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"

    def register(self, spec: Spec, *, replace: bool = False) -> Spec:
        """Add ``spec`` for this process; ``replace=True`` overwrites an earlier registration.

        Raises
        ------
        ConfigError
            When ``spec`` is not a spec of this registry or its name is taken (a built-in entry
            is never replaced).
        """
        if not isinstance(spec, self.spec_type):
            raise ConfigError(f"a {self.kind} registration needs a {self.spec_type.__name__}, "
                              f"got {type(spec).__name__}")
        if spec.name in self._built_in or (spec.name in self._entries and not replace):
            raise ConfigError(f"{self.kind} name {spec.name!r} is already registered; choose another name")
        self._entries[spec.name] = spec
        return spec

    def unregister(self, name: str) -> None:
        """Remove an entry added with :meth:`register` (built-in entries stay)."""
        check_choice(self.kind, name, self._entries)
        if name in self._built_in:
            raise ConfigError(f"{self.kind} {name!r} is built in and cannot be removed")
        del self._entries[name]
