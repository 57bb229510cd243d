"""Run the command line as `python -m mentorlog`."""

from mentorlog.cli import main

main()
