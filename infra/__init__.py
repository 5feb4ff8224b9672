"""Composition root, settings, adapters and the CLI: the only place that knows the wiring.

At the top: `settings`, `bootstrap` (everything `attune up` runs in one process),
`distributed` (one function per process of distributed mode), `first_start` (the first
admin and the local API keys), `pack_loader`, `projection_runner`, `startup`. By role:
`cli/` (the `attune` command line), `kafka/`, `security/` and `storage/`.
"""
