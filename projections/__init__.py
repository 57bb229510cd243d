"""The read side: read-model tables, one projection per concern, the runner, queries."""
