"""One plugin manager per app: built-ins, then entry points, then the block list."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, TypeVar

import pluggy
from mentorlog.plugins import hookspecs
from mentorlog.plugins.interfaces import (
    Contribution,
    Format,
    GoalFramework,
    Match,
    Notification,
    NotificationContext,
    Profile,
    ProgramProfile,
)

log = logging.getLogger(__name__)

BUILTIN_PLUGINS = (
    "mentorlog.plugins.builtin.formats",
    "mentorlog.plugins.builtin.goal_frameworks",
    "mentorlog.plugins.builtin.matching",
    "mentorlog.plugins.builtin.email",
    "mentorlog.plugins.builtin.webhook",
)
HOOKS = (
    "register_formats",
    "register_goal_frameworks",
    "match_score",
    "send_notification",
)
T = TypeVar("T", Format, GoalFramework)


class PluginError(Exception):
    """A plugin could not be loaded or one of its hooks failed."""


@dataclass
class PluginInfo:
    """A loaded plugin: its name, distribution, version and implemented hooks."""

    name: str
    distribution: str
    version: str
    hooks: list[str]


@dataclass(frozen=True)
class Scorer:
    """One plugin's match_score implementation and where it comes from."""

    plugin: str
    distribution: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]

    def __call__(
        self, mentor: Profile, mentee: Profile, program: ProgramProfile
    ) -> list[Contribution]:
        """Call the hook and check what it returns, naming the plugin if it fails."""
        given = {"mentor": mentor, "mentee": mentee, "program": program}
        try:
            result = list(self.function(**{n: given[n] for n in self.argnames}) or [])
        except Exception as exc:
            raise PluginError(self._failed(f"{type(exc).__name__}: {exc}")) from exc
        for item in result:
            if not isinstance(item, Contribution):
                raise PluginError(
                    self._failed(f"returned {type(item).__name__}, not a Contribution")
                )
        return result

    def _failed(self, reason: str) -> str:
        return (
            f"plugin '{self.plugin}' from distribution '{self.distribution}' "
            f"failed in hook 'match_score': {reason}"
        )


@dataclass(frozen=True)
class Notifier:
    """One plugin's send_notification: the channel it is (the plugin's name)."""

    channel: str
    distribution: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]

    def __call__(
        self, notification: Notification, context: NotificationContext
    ) -> bool | None:
        """Call the hook: True if sent, None if it cannot reach the person.

        It raises what the plugin raises (NotificationFailed, or any error): the
        caller records the failure and tries again later.
        """
        given = {"notification": notification, "context": context}
        result = self.function(**{n: given[n] for n in self.argnames})
        return None if result is None else bool(result)


@dataclass
class Catalog:
    """Formats, goal frameworks and match scorers collected from every plugin."""

    formats: dict[str, Format] = field(default_factory=dict)
    frameworks: dict[str, GoalFramework] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    scorers: list[Scorer] = field(default_factory=list)
    notifiers: dict[str, Notifier] = field(default_factory=dict)

    def format(self, name: str) -> Format | None:
        """Return the format with this name, or None."""
        return self.formats.get(name)

    def framework(self, name: str) -> GoalFramework | None:
        """Return the goal framework with this name, or None."""
        return self.frameworks.get(name)

    def match(self, mentor: Profile, mentee: Profile, program: ProgramProfile) -> Match:
        """Ask every plugin's match_score and weigh the contributions into a Match."""
        contributions: list[Contribution] = []
        for scorer in self.scorers:
            contributions += scorer(mentor, mentee, program)
        return Match.of(contributions)


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
        plugin: object = None
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
            _check_hooks(pm, plugin)
        except Exception as exc:
            if plugin is not None and pm.is_registered(plugin):
                pm.unregister(plugin)
            message = (
                f"plugin '{ep.name}' from distribution '{dist}' failed to load "
                f"(entry point '{ep.name} = {ep.value}'): {type(exc).__name__}: {exc}"
            )
            if not skip_failing:
                raise PluginError(message) from exc
            log.warning("%s (skipped)", message)
            skipped.append(message)
            continue
        origins[ep.name] = (dist, version)
    return pm, skipped, origins


def _check_hooks(pm: pluggy.PluginManager, plugin: object) -> None:
    """Refuse a plugin that implements a hook no hookspec declares (e.g. a typo)."""
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.spec is None:
            known = ", ".join(sorted(HOOKS))
            raise PluginError(f"unknown hook '{caller.name}' (hooks: {known})")


def load_catalog(disabled: Iterable[str] = (), skip_failing: bool = False) -> Catalog:
    """Load every plugin and collect what their hooks register."""
    pm, skipped, origins = build_plugin_manager(disabled, skip_failing)
    catalog = Catalog(skipped=skipped)
    # Registration order: built-ins first, so a plugin that reuses a built-in
    # name is the one blamed (and skipped), never the built-in.
    for name, plugin in pm.list_name_plugin():
        if plugin is None or name not in origins:
            continue
        dist, version = origins[name]
        try:
            formats, frameworks = _contributions(pm, plugin, catalog)
        except _HookFailed as failed:
            message = (
                f"plugin '{name}' from distribution '{dist}' failed in hook "
                f"'{failed.hook}': {failed.reason}"
            )
            if not skip_failing:
                raise PluginError(message) from failed.__cause__
            log.warning("%s (skipped)", message)
            catalog.skipped.append(message)
            pm.unregister(plugin)
            continue
        catalog.formats.update((f.name, f) for f in formats)
        catalog.frameworks.update((f.name, f) for f in frameworks)
        catalog.scorers += _scorers(pm, plugin, name, dist)
        catalog.notifiers.update(
            (n.channel, n) for n in _notifiers(pm, plugin, name, dist)
        )
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        catalog.plugins.append(PluginInfo(name, dist, version, hooks))
    return catalog


class _HookFailed(Exception):
    """One hook of one plugin raised or returned something unusable."""

    def __init__(self, hook: str, reason: str) -> None:
        super().__init__(reason)
        self.hook = hook
        self.reason = reason


def _contributions(
    pm: pluggy.PluginManager, plugin: object, catalog: Catalog
) -> tuple[list[Format], list[GoalFramework]]:
    """Call every hook one plugin implements and check what comes back."""
    formats = _call(pm, plugin, "register_formats", Format, catalog.formats)
    frameworks = _call(
        pm, plugin, "register_goal_frameworks", GoalFramework, catalog.frameworks
    )
    return formats, frameworks


def _call(
    pm: pluggy.PluginManager,
    plugin: object,
    hook_name: str,
    kind: type[T],
    registered: dict[str, Any],
) -> list[T]:
    caller = getattr(pm.hook, hook_name)
    items: list[T] = []
    for impl in caller.get_hookimpls():
        if impl.plugin is not plugin:
            continue
        function: Callable[[], Any] = impl.function
        try:
            result = list(function() or [])
        except Exception as exc:
            raise _HookFailed(hook_name, f"{type(exc).__name__}: {exc}") from exc
        for item in result:
            if not isinstance(item, kind):
                raise _HookFailed(
                    hook_name,
                    f"returned {type(item).__name__}, not a {kind.__name__}",
                )
            if item.name in registered or any(i.name == item.name for i in items):
                raise _HookFailed(
                    hook_name,
                    f"{kind.__name__} '{item.name}' is already registered",
                )
            items.append(item)
    return items


def _scorers(
    pm: pluggy.PluginManager, plugin: object, name: str, dist: str
) -> list[Scorer]:
    """The match_score implementations of one plugin, to be called per match."""
    return [
        Scorer(name, dist, impl.function, tuple(impl.argnames))
        for impl in pm.hook.match_score.get_hookimpls()
        if impl.plugin is plugin
    ]


def _notifiers(
    pm: pluggy.PluginManager, plugin: object, name: str, dist: str
) -> list[Notifier]:
    """The send_notification implementation of one plugin: the channel it names."""
    return [
        Notifier(name, dist, impl.function, tuple(impl.argnames))
        for impl in pm.hook.send_notification.get_hookimpls()
        if impl.plugin is plugin
    ]


def _own_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mentorlog")
    except PackageNotFoundError:
        return "0+unknown"
