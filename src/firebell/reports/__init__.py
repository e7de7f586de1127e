"""Learning from the numbers: incident metrics, the monthly review, Prometheus metrics."""
