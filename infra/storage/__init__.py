"""Where state lives: the SQLite event store (`sqlite_event_store`), database URLs and
read-model engines (`databases`), PostgreSQL's one-query aggregate reads
(`postgres_bulk_read`), the wake-up on new events (`store_wakeup`) and the state
directory's lock (`state_lock`)."""
