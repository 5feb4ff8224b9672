"""The `attune` command line: one module per command group.

`main` is the entry point and the top-level commands (`up`, `run`, the read commands);
`client` is how commands reach the API (settings, credentials, tables); `login`, `key`,
`admin`, `replay` and `processes` (the distributed processes: `api`, `commands`, `relay`,
`streams`, `worker`, `project`) are the command groups.
"""
