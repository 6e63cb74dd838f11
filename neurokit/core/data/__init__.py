"""The neurokit store (Zarr v3) and the torch side of reading it."""
