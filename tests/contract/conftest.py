"""Sample raw data for the built-in datasets' contract checks (the `demo` corpus, small)."""

from __future__ import annotations


def pytest_neurokit_sample_raw(component, root):
    """`demo` generates a 4-subject, 10-second corpus; the TUH and other corpora have no sample."""
    if component.name != "demo":
        return None
    component.create(subjects=4, sessions=1, min_seconds=10, max_seconds=10).generate(root)
    return root
