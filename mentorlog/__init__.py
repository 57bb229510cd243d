"""mentorlog: mentoring programs as verifiable, append-only event histories."""

from mentorlog.plugins.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]
