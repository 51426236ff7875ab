"""RQ queues, background tasks and the periodic scheduler."""
