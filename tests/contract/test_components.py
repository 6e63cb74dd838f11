"""neurokit's own plugins under the shipped contract suite (`neurokit.testing.contract`).

The checks live in the package so that a third-party plugin's CI runs the same ones
with `pytest --neurokit-contract`; here they run over the built-in plugins (the
`neurokit_contract_plugins = "builtin"` ini option). Large presets (`*-large`,
`*-huge`) are built only with `-m slow`.
"""

from __future__ import annotations

import neurokit
from neurokit.testing.contract import (  # noqa: F401  (collected here)
    test_backbone_head_resets_and_learns,
    test_backbone_ignores_padding,
    test_backbone_runs_a_padded_batch,
    test_dataset_discovers_and_loads_its_sample,
    test_dataset_implements_the_protocol,
    test_dataset_prepares_a_store,
    test_dataset_takes_a_profile,
    test_default_config_validates,
    test_family_declares_registered_components_and_valid_recipes,
    test_metadata,
    test_plugin_loads_and_registers_something,
    test_task_implements_the_protocol,
    test_tokenizer_implements_the_protocol,
    test_trainer_implements_the_protocol,
)


def test_create_model_accepts_every_backbone_and_preset_name():
    names = neurokit.list_components("backbone") + neurokit.list_components("model")
    assert "tiny-cnn" in names and "tiny" in names
