"""Stream processors, the worker (`attune.streams.worker`), and the hosts that run them:
the embedded host (`embedded`) and the faust app (`faust_app`); the worker's Kafka host is
`worker.kafka_host`."""
