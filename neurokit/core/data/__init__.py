"""The neurokit store (Zarr v3) and the torch side of reading it.

Public entry points (import from the submodules; this package stays light):

- `channels`: `normalise_channel_name(s)`, `channel_positions`, `channel_position`,
  `TCP_PAIRS`, `TCP_NAMES`, `TUH_REFERENTIAL`, `STANDARD_1020`
- `preprocess`: `Preprocessing`, `profiles()` (raw + the families'), `profile()`, `DatasetConfig`, `preprocess_raw`,
  `prepare_raw` (+ types, units, positions, bad channels), `to_tcp`, `load_recording`
- `sensors`: channel types, stored units (uV, fT, fT/cm), positions and their sources;
  `channel_info` (schema-1 defaults), `ChannelInfo`
- `rawio`: `read_raw` (mne incl. CTF/KIT/BTi MEG, DataError on bad files), `file_checksum`,
  `write_edf`
- `braindecode_zarr`: `import_braindecode`, `export_braindecode` (braindecode's hub Zarr)
- `schema`: `StoreSchema`, `RecordingMeta`, `check_schema`, `safe_id`, `FORMAT_VERSION`
- `writer`: `StoreWriter` (create/resume, atomic `write`, `finalize`)
- `store`: `Store`, `open_store` (schema check, recordings, `read`, `events`, `channels`, `info`)
- `cache`: `RecordingCache` (decoded local memmap copies: the fast read path)
- `cache_limit`: `NEUROKIT_CACHE_MAX_GB`, LRU eviction safe under concurrent runs
- `dataset`: `WindowDataset`, `WindowItem`, `collate`, `Collate`, `assemble`, `make_dataloader`
- `mixture`: `MixtureDataset` (several stores, weighted, resumable), `split_by_source`
- `splits`: `split_subjects`, `split_within_subjects`, `official_split`
- `loader`: `ThreadedLoader`, `make_train_loader` (what the trainer iterates)
- `prepare`: `prepare`, `PrepareSummary` (what `neurokit prepare` runs)
"""
