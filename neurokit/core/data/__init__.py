"""The neurokit store (Zarr v3) and the torch side of reading it.

Public entry points (import from the submodules; this package stays light):

- `channels`: `normalise_channel_name`, `channel_positions`, `TCP_PAIRS`, `TCP_NAMES`
- `preprocess`: `Preprocessing`, `PROFILES`, `DatasetConfig`, `preprocess_raw`, `load_recording`
- `rawio`: `read_raw`, `file_checksum`
- `schema` / `writer` / `store`: `StoreSchema`, `RecordingMeta`, `StoreWriter`, `Store`, `open_store`
- `dataset`: `WindowDataset`, `collate`, `make_dataloader`
- `prepare`: `prepare` (what `neurokit prepare` runs)
"""
