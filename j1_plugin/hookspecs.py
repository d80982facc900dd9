"""Hook specifications: the one door through which formats, benchmarks, rewards, judges and models enter.

A plugin is any module or object with functions marked ``@hookimpl``. Each hook receives a
``register`` callable; the plugin calls it once per thing it provides. Built-in things are
registered the same way (see :mod:`j1_plugin.builtin`). Third-party packages declare an entry
point in the ``j1_plugin`` group::

    [project.entry-points.j1_plugin]
    acme = "acme_j1.plugin"

and implement any subset of the hooks below::

    from j1_plugin import hookimpl

    @hookimpl
    def register_formats(register):
        register(my_format)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT_NAME = "j1_plugin"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Register = Callable[[Any], None]


@hookspec
def register_formats(register: Register) -> None:
    """Call ``register(fmt)`` for each :class:`j1_plugin.formats.JudgmentFormat`; keyed by ``fmt.name``."""


@hookspec
def register_benchmarks(register: Register) -> None:
    """Call ``register(benchmark)`` for each judge benchmark; keyed by ``benchmark.name``.

    A benchmark that ships lm-eval task YAML files names their folder in ``benchmark.task_dir``
    (a path, or ``None``); ``j1 eval`` and :func:`j1_plugin.task_dirs` add every such folder.
    """


@hookspec
def register_rewards(register: Register) -> None:
    """Call ``register(fn)`` for each reward function with TRL's signature; keyed by ``fn.__name__``."""


@hookspec
def register_judges(register: Register) -> None:
    """Call ``register(backend)`` for each judge backend: a callable that builds a judge; keyed by ``.name``."""


@hookspec
def register_models(register: Register) -> None:
    """Call ``register(source)`` for each named judge checkpoint (``.path()``: a local folder); keyed by ``.name``."""
