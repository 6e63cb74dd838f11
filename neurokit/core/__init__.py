"""The small core of neurokit. Nothing here imports a plugin."""
