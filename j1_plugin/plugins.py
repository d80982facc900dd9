"""The plugin host: loads plugins, asks each one what it registers, keeps the registry.

* Built-in things live in :mod:`j1_plugin.builtin`, registered as a plugin like any other.
* Third-party plugins are entry points in the ``j1_plugin`` group.
* ``J1_PLUGINS`` restricts which entry-point plugins load: a comma-separated list of entry-point
  names (empty string: none). Built-ins always load.
* A plugin that fails to import, or whose hook raises or registers a malformed object, is left
  out whole, reported once by name with its error (a warning, and in ``j1 plugins``); everything
  else still loads. A ``J1_PLUGINS`` name that matches no installed plugin is reported the same way.
* Two plugins registering the same name for the same kind is an error naming both providers.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from j1_plugin import hookspecs

ENTRY_POINT_GROUP = "j1_plugin"
ENV_VAR = "J1_PLUGINS"
BUILTIN_PLUGIN_NAME = "j1_plugin.builtin"

KINDS: dict[str, str] = {
    "format": "register_formats",
    "benchmark": "register_benchmarks",
    "reward": "register_rewards",
    "judge": "register_judges",
    "model": "register_models",
}


class PluginError(RuntimeError):
    """A plugin misbehaved while registering (bad object, exception in its hook)."""


class DuplicateRegistrationError(PluginError):
    """Two registrations claim the same name for the same kind of thing."""


class NotRegisteredError(LookupError):
    """No plugin registered a thing of that kind under that name."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Registration:
    """One registered thing and the plugin that provided it."""

    kind: str
    name: str
    obj: Any
    plugin: str


@dataclass(frozen=True)
class PluginFailure:
    """An entry-point plugin that could not be loaded."""

    name: str
    distribution: str | None
    error: str


def _registration_name(kind: str, obj: Any) -> str:
    if kind == "reward":
        if not callable(obj):
            raise TypeError(f"a reward must be a callable, got {type(obj).__name__}")
        name = getattr(obj, "__name__", None)
    else:
        name = getattr(obj, "name", None)
    if not isinstance(name, str) or not name:
        attr = "__name__" if kind == "reward" else "name"
        raise TypeError(f"a {kind} must have a non-empty string {attr!r}, got {obj!r}")
    if kind == "format":
        from j1_plugin.formats import JudgmentFormat

        if not isinstance(obj, JudgmentFormat):
            raise TypeError(f"format {name!r} must be a JudgmentFormat, got {type(obj).__name__}")
    if kind == "judge" and not callable(obj):
        raise TypeError(f"judge backend {name!r} must be callable (it builds a judge)")
    if kind == "model" and not callable(getattr(obj, "path", None)):
        raise TypeError(f"model {name!r} must have a path() method returning its local checkpoint folder")
    return name


class Registry:
    """Everything the loaded plugins registered, by kind and name.

    Each plugin's hooks run first into a staging list; a plugin whose hook raises or registers a
    malformed object is left out whole (none of its registrations count) and reported through
    ``on_failure``, so one broken plugin never takes the others down. The built-ins are not a
    third party: a failure there is raised.
    """

    def __init__(self, pm: pluggy.PluginManager, on_failure: Callable[[str, str], None] | None = None) -> None:
        self._entries: dict[str, dict[str, Registration]] = {kind: {} for kind in KINDS}
        staged: dict[str, list[Registration]] = {}
        failed: set[str] = set()
        for kind, hook_name in KINDS.items():
            # get_hookimpls() lists implementations in registration order, so built-ins come first.
            for impl in getattr(pm.hook, hook_name).get_hookimpls():
                plugin = impl.plugin_name
                if plugin in failed:
                    continue
                try:
                    staged.setdefault(plugin, []).extend(self._collect(kind, hook_name, impl))
                except PluginError as exc:
                    if plugin == BUILTIN_PLUGIN_NAME or on_failure is None:
                        raise
                    failed.add(plugin)
                    staged.pop(plugin, None)
                    on_failure(plugin, str(exc))
        for registrations in staged.values():
            for entry in registrations:
                self._add(entry)

    def _add(self, entry: Registration) -> None:
        existing = self._entries[entry.kind].get(entry.name)
        if existing is not None:
            raise DuplicateRegistrationError(
                f"{entry.kind} {entry.name!r} is registered twice: by plugin {existing.plugin!r} and by plugin "
                f"{entry.plugin!r}. Uninstall one of them, or limit loaded plugins with "
                f"{ENV_VAR}=<comma-separated entry-point names>."
            )
        self._entries[entry.kind][entry.name] = entry

    @staticmethod
    def _collect(kind: str, hook_name: str, impl: pluggy.HookImpl) -> list[Registration]:
        collected: list[Registration] = []

        def register(obj: Any) -> None:
            try:
                name = _registration_name(kind, obj)
            except TypeError as exc:
                raise PluginError(f"plugin {impl.plugin_name!r}: {exc}") from None
            collected.append(Registration(kind, name, obj, impl.plugin_name))

        try:
            impl.function(**{arg: register for arg in impl.argnames})
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin {impl.plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
            ) from exc
        return collected

    def get(self, kind: str, name: str) -> Any:
        try:
            return self._entries[kind][name].obj
        except KeyError:
            known = ", ".join(self._entries[kind]) or "none"
            raise NotRegisteredError(f"no {kind} named {name!r}; registered {kind}s: {known}") from None

    def names(self, kind: str) -> list[str]:
        return list(self._entries[kind])

    def registrations(self, kind: str | None = None) -> Iterator[Registration]:
        for entry_kind in KINDS if kind is None else (kind,):
            yield from self._entries[entry_kind].values()


class J1PluginManager(pluggy.PluginManager):
    """A pluggy manager with j1's hook specs, load-failure records and a cached registry."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self.distributions: dict[str, tuple[str, str]] = {}
        self._registry: Registry | None = None

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        self._registry = None
        return super().register(plugin, name)

    def unregister(self, plugin: Any = None, name: str | None = None) -> Any:
        self._registry = None
        return super().unregister(plugin, name)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry(self, on_failure=self._hook_failed)
        return self._registry

    def _hook_failed(self, name: str, error: str) -> None:
        """Disable plugin ``name`` whose hook failed: record it, warn once, keep everything else."""
        if any(failure.name == name for failure in self.failures):
            return
        dist = self.distributions.pop(name, None)
        self._fail(name, f"{dist[0]} {dist[1]}" if dist else None, error, "was disabled")

    def load_entry_points(self, allowed: set[str] | None = None) -> None:
        """Import and register every ``j1_plugin`` entry point (only ``allowed`` names, if given).

        An ``allowed`` name that no installed entry point has is reported as a failure.
        """
        entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
        installed = sorted({entry_point.name for entry_point in entry_points})
        for name in sorted((allowed or set()) - set(installed)):
            self._fail(
                name, None, f"{ENV_VAR} names it, but no installed plugin has that entry-point name "
                f"(installed: {', '.join(installed) or 'none'})", "is unknown"
            )  # fmt: skip
        for entry_point in entry_points:
            if allowed is not None and entry_point.name not in allowed:
                continue
            dist = entry_point.dist
            dist_label = f"{dist.metadata['Name']} {dist.version}" if dist is not None else None
            previous = self.get_plugin(entry_point.name)
            if previous is not None:
                self._fail(entry_point.name, dist_label, "another plugin already uses this entry-point name")
                continue
            try:
                plugin = entry_point.load()
                self.register(plugin, name=entry_point.name)
            except Exception as exc:  # any import-time error of a third-party plugin
                self._fail(entry_point.name, dist_label, f"{type(exc).__name__}: {exc}")
                continue
            if dist is not None:
                self.distributions[entry_point.name] = (dist.metadata["Name"], dist.version)

    def _fail(self, name: str, dist_label: str | None, error: str, what: str = "was not loaded") -> None:
        self.failures.append(PluginFailure(name, dist_label, error))
        source = f" (from {dist_label})" if dist_label else ""
        hint = f"; {ENV_VAR}=<names> chooses which plugins load" if what != "is unknown" else ""
        warnings.warn(f"j1-plugin: plugin {name!r}{source} {what}: {error}{hint}", stacklevel=3)


def allowed_plugins_from_env() -> set[str] | None:
    """The entry-point names ``J1_PLUGINS`` allows, or ``None`` when it is unset (load all)."""
    value = os.environ.get(ENV_VAR)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def create_plugin_manager(
    *, load_entry_points: bool = True, allowed: set[str] | None = None, builtins: bool = True
) -> J1PluginManager:
    """A fresh manager: built-ins plus (optionally) entry points. Mostly for tests and tools."""
    pm = J1PluginManager()
    if builtins:
        from j1_plugin import builtin

        pm.register(builtin, name=BUILTIN_PLUGIN_NAME)
        pm.distributions[BUILTIN_PLUGIN_NAME] = ("j1-plugin", _own_version())
    if load_entry_points:
        pm.load_entry_points(allowed)
    return pm


def _own_version() -> str:
    try:
        return metadata.version("j1-plugin")
    except metadata.PackageNotFoundError:
        return "unknown"


_manager: J1PluginManager | None = None


def get_plugin_manager() -> J1PluginManager:
    """The process-wide plugin manager, created on first use (honours ``J1_PLUGINS``)."""
    global _manager
    if _manager is None:
        _manager = create_plugin_manager(allowed=allowed_plugins_from_env())
    return _manager


def reset_plugin_manager() -> None:
    """Forget the process-wide manager, so the next call reloads plugins (tests, long sessions)."""
    global _manager
    _manager = None


def _getter(kind: str) -> Callable[[str], Any]:
    def get(name: str) -> Any:
        return get_plugin_manager().registry.get(kind, name)

    get.__name__ = f"get_{kind}"
    get.__doc__ = f"The {kind} registered under ``name``; raises :class:`NotRegisteredError`."
    return get


def _lister(kind: str) -> Callable[[], list[str]]:
    def list_names() -> list[str]:
        return get_plugin_manager().registry.names(kind)

    list_names.__name__ = f"list_{kind}s"
    list_names.__doc__ = f"Names of every registered {kind}, built-ins first."
    return list_names


get_benchmark = _getter("benchmark")
get_reward = _getter("reward")
get_judge = _getter("judge")
get_model = _getter("model")
list_formats = _lister("format")
list_benchmarks = _lister("benchmark")
list_rewards = _lister("reward")
list_judges = _lister("judge")
list_models = _lister("model")


def get_format(name: str, template: str | os.PathLike[str] | None = None) -> Any:
    """The judgment format ``name``; with ``template``, rendering uses that template file."""
    fmt = get_plugin_manager().registry.get("format", name)
    return fmt if template is None else fmt.with_template(template)


def task_dirs() -> list[Path]:
    """lm-eval task folders shipped by registered benchmarks, without repeats, in load order."""
    return list(task_dir_owners())


def task_dir_owners() -> dict[Path, str]:
    """Each lm-eval task folder of a registered benchmark, with the plugin that first registered it."""
    owners: dict[Path, str] = {}
    for entry in get_plugin_manager().registry.registrations("benchmark"):
        folder = getattr(entry.obj, "task_dir", None)
        if folder is not None:
            owners.setdefault(Path(folder), entry.plugin)
    return owners
