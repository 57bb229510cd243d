"""Print the schema's SDL: `python -m mentorlog.schema > schema/schema.graphql`."""

from mentorlog.schema import sdl

print(sdl())
