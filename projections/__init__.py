"""The read side: a projection module per table set, the stores, runner and queries."""
