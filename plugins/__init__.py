"""Plugin interfaces, hook specifications, the plugin manager and built-in plugins."""
