"""Kafka adapters of distributed mode: the topic catalogue (`topics`), topic administration
(`admin`), the idempotent producer and the relay's publisher (`publisher`), the group
consumer of the command service and the workers (`consumers`), and the command service and the
workers' command sender (`commands`). The worker's Kafka host is in
`attune.streams.worker.kafka_host`."""
