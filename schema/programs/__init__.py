"""Programs: their node types, the plugin catalog, their mutations and queries."""
