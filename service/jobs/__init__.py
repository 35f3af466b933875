"""Background jobs on RQ: registry of job functions, dispatch after commit, the runner, and the recovery sweep."""

# Workers listen in this order: notifications first, sweeps last.
QUEUES = ("high", "default", "low")
