"""The benchmark suite: our event store, service and API beside eventsourcing and raw SQL (see README.md)."""
