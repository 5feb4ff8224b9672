"""Composition root, settings, adapters and the CLI: the only place that knows the wiring."""
