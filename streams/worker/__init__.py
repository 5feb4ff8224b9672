"""The worker: runs the executions scheduled for its pool, exactly once each.

Where each part lives:

- `queue`: `WorkQueue`, the worker's state (the runs scheduled for its pool, not yet
  taken), a processor folded from the log by its host;
- `loop`: `Worker`, which takes jobs from the queue, claims them, resolves their secrets
  and keystore references (`keystore_references`), hands each to a runner and reports
  its end;
- `runners`: the `ActionRunner` port and the local subprocess runner;
- the hosts, which feed the queue and wake the worker: in `attune up`, the embedded host
  (`attune.streams.embedded`, wired by `attune.infra.bootstrap`) folds the queue with every
  other processor; in distributed mode, `kafka_host` (wired by
  `attune.infra.distributed.run_worker`) follows the pool's share of the execution stream.
"""
