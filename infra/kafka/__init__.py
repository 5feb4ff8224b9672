"""Kafka adapters of distributed mode: the topic catalogue (`topics`), topic administration
(`admin`), the idempotent producer and the relay's publisher (`publisher`), the command
service's consumer and the workers' command sender (`commands`), and the worker's host on
Kafka (`worker`)."""
