"""Every built-in EEG family's stages chain end to end (the shipped `neurokit.testing` checks).

`neurokit.pipeline(family, small=True)` runs each stage CPU-sized on a small demo store,
each consuming the runs before it. The fast suite checks that the chain runs, that what a
stage consumes reaches it and that every stage selects on a metric it declares; `-m slow`
trains long enough to check that each stage learns and that a rerun skips every stage.
"""

from neurokit.testing.contract import (  # noqa: F401  (collected here)
    test_family_stages_chain_and_select_on_declared_metrics,
    test_family_stages_learn_and_a_rerun_skips_them,
)
