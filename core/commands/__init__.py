"""The Mentoring service's commands, a module per feature; base.py: the plumbing."""
