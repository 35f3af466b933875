"""Background jobs on RQ: queue names and helpers; job functions live in sibling modules."""

# Workers listen in this order: notifications first, sweeps last.
QUEUES = ("high", "default", "low")
