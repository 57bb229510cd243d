"""The pages' Jinja2 environment (every value escaped) and their static files."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
STATIC_PATH = "/static"

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals["static"] = lambda name: f"{STATIC_PATH}/{name}"


def static_files() -> StaticFiles:
    """The app's static files: the stylesheets, GraphiQL's boot script, vendor/."""
    return StaticFiles(directory=HERE / "static")


def graphiql_page() -> str:
    """The GraphiQL page, on the vendored assets."""
    return templates.get_template("graphiql.html").render()
