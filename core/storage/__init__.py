"""Where events, links and keys are stored: SQLite, PostgreSQL, caches."""
