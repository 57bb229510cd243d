"""Mentorships: the node type, its lifecycle mutations and its queries."""
