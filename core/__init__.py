"""The write side: aggregates, their events, the application service and errors."""
