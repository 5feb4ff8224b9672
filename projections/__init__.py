"""Read models: SQL tables the API reads, kept up to date from the event store's log.

`schema` holds the tables, `projector` turns domain events into rows, `queries` reads them,
`rebuild` drops and replays them. Nothing here writes to the event store.
"""
