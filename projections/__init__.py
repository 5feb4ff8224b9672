"""Read models: SQL tables the API reads, kept up to date from the event store's log.

`schema` holds the tables, `storage` creates and drops them (with `timescaledb` when the
database has the extension), `projector` turns domain events into rows, `queries` reads
them, `analytics` counts per hour (`hourly`), `rebuild` drops and replays them. Nothing
here writes to the event store.
"""
