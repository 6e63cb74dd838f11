"""Errors a user can cause. The CLI prints their message on one line and exits non-zero.

Plugins raise these too (exported as `neurokit.DataError`, `neurokit.ConfigError`,
`neurokit.PluginError`): any `NeurokitError` from plugin code reaches the user as
`error: <message>` with a non-zero exit, never as "internal error" or a traceback.
So the message should name what is wrong and what to do about it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class NeurokitError(Exception):
    """Base of every error meant for the user rather than a traceback."""

    exit_code = 1


class UnknownComponentError(NeurokitError, KeyError):
    """A name that no plugin registered."""

    def __init__(
        self, kind: str, name: str, known: Iterable[str], notes: Iterable[str] = ()
    ) -> None:
        """`notes`: further sentences (the kind the name does have, plugins that failed)."""
        known = sorted(set(known))
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        listing = f" Known {kind}s: {', '.join(known)}." if known and not close else ""
        extra = "".join(f" {note}" for note in notes)
        super().__init__(f"unknown {kind} {name!r}.{hint}{listing}{extra}")
        self.kind, self.name, self.suggestions = kind, name, close

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class DuplicateComponentError(NeurokitError):
    """Two plugins registered the same kind and name."""


class PluginError(NeurokitError):
    """A plugin's own error for the user, or a plugin that broke the contract.

    Plugins raise it (or a subclass) for anything the user can fix that is neither
    bad data (`DataError`) nor a bad option (`ConfigError`): a missing optional
    dependency, an unsupported combination of options, a model that cannot read a run.
    """


class ConfigError(NeurokitError):
    """A config file or override that does not validate."""

    exit_code = 2


class DataError(NeurokitError):
    """A recording, store or file that cannot be used, with the reason."""


class WeightsError(DataError):
    """A weights file or run that cannot be read, or whose keys do not fit the model."""
