"""One plugin manager per app: built-ins, then entry points, then the block list."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy
from mentorlog.plugins import hookspecs
from mentorlog.plugins.interfaces import Format, GoalFramework

log = logging.getLogger(__name__)

BUILTIN_PLUGINS = (
    "mentorlog.plugins.builtin.formats",
    "mentorlog.plugins.builtin.goal_frameworks",
)


class PluginError(Exception):
    """A plugin could not be loaded or one of its hooks failed."""


@dataclass
class PluginInfo:
    """A loaded plugin: its name, distribution, version and implemented hooks."""

    name: str
    distribution: str
    version: str
    hooks: list[str]


@dataclass
class Catalog:
    """Formats and goal frameworks collected from every loaded plugin."""

    formats: dict[str, Format] = field(default_factory=dict)
    frameworks: dict[str, GoalFramework] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def format(self, name: str) -> Format | None:
        """Return the format with this name, or None."""
        return self.formats.get(name)

    def framework(self, name: str) -> GoalFramework | None:
        """Return the goal framework with this name, or None."""
        return self.frameworks.get(name)


def build_plugin_manager(
    disabled: Iterable[str] = (), skip_failing: bool = False
) -> tuple[pluggy.PluginManager, list[str], dict[str, tuple[str, str]]]:
    """Register built-ins, then entry points, honouring the block list."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in disabled:
        pm.set_blocked(name)
    skipped: list[str] = []
    origins: dict[str, tuple[str, str]] = {}
    for module_name in BUILTIN_PLUGINS:
        name = module_name.rsplit(".", 1)[-1]
        if pm.is_blocked(name):
            continue
        pm.register(importlib.import_module(module_name), name=name)
        origins[name] = ("mentorlog", _own_version())
    for ep in entry_points(group=hookspecs.PROJECT):
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        if pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:
            message = (
                f"plugin '{ep.name}' from distribution '{dist}' failed to load: "
                f"{type(exc).__name__}: {exc}"
            )
            if not skip_failing:
                raise PluginError(message) from exc
            log.warning("%s (skipped)", message)
            skipped.append(message)
            continue
        origins[ep.name] = (dist, version)
    return pm, skipped, origins


def load_catalog(disabled: Iterable[str] = (), skip_failing: bool = False) -> Catalog:
    """Load every plugin and collect what their hooks register."""
    pm, skipped, origins = build_plugin_manager(disabled, skip_failing)
    catalog = Catalog(skipped=skipped)
    _collect(pm, "register_formats", catalog.formats, skip_failing, catalog.skipped)
    _collect(
        pm,
        "register_goal_frameworks",
        catalog.frameworks,
        skip_failing,
        catalog.skipped,
    )
    for name, plugin in pm.list_name_plugin():
        if plugin is None or name not in origins:
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        dist, version = origins[name]
        catalog.plugins.append(PluginInfo(name, dist, version, hooks))
    return catalog


def _collect(
    pm: pluggy.PluginManager,
    hook_name: str,
    into: dict[str, Any],
    skip_failing: bool,
    skipped: list[str],
) -> None:
    caller = getattr(pm.hook, hook_name)
    for impl in reversed(caller.get_hookimpls()):
        function: Callable[[], Any] = impl.function
        try:
            items = list(function() or [])
            for item in items:
                if item.name in into:
                    raise PluginError(f"'{item.name}' is already registered")
        except Exception as exc:
            message = (
                f"plugin '{impl.plugin_name}' failed in hook '{hook_name}': "
                f"{type(exc).__name__}: {exc}"
            )
            if not skip_failing:
                raise PluginError(message) from exc
            log.warning("%s (skipped)", message)
            skipped.append(message)
            continue
        for item in items:
            into[item.name] = item


def _own_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mentorlog")
    except PackageNotFoundError:
        return "0+unknown"
