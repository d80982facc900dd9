"""How the ``j1`` commands report a failure: one line on stderr, the traceback only when asked.

``J1_DEBUG=1`` in the environment (or ``j1 --debug COMMAND ...``) lets the exception propagate
with its full traceback instead.
"""

from __future__ import annotations

import os
import sys

DEBUG_ENV = "J1_DEBUG"

# Errors that describe what the user should change, so the message says it all: our own error
# classes (bad data, options, files, plugins), and ValueError and OSError as libraries raise them
# for a bad option or a missing file. Anything else (a KeyError, say) is unexpected and also names its type.
OWN_ERRORS: tuple[type[BaseException], ...] = (ValueError, LookupError, OSError, RuntimeError)
LIBRARY_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError)


_asked = [False]


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a huge field never floods an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def ask_for_tracebacks(on: bool) -> None:
    """Turn tracebacks on or off for this process (what ``j1 --debug`` does), whatever ``J1_DEBUG`` says."""
    _asked[0] = on


def debugging() -> bool:
    """Whether tracebacks were asked for: ``j1 --debug``, or ``J1_DEBUG`` set to anything but empty, 0, false, no."""
    return _asked[0] or os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def report(prog: str, exc: BaseException) -> int:
    """Print ``exc`` as one line for the command ``prog`` and return its exit status (2 or 1).

    Re-raises ``exc`` when :func:`debugging` is on.
    """
    if debugging():
        raise exc
    message = " ".join(str(exc).split()) or type(exc).__name__
    own = type(exc).__module__.startswith("j1_plugin") and isinstance(exc, OWN_ERRORS)
    if own or (type(exc).__module__ == "builtins" and isinstance(exc, LIBRARY_ERRORS)):
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    print(f"{prog}: error: {type(exc).__name__}: {message}  ({DEBUG_ENV}=1 shows the traceback)", file=sys.stderr)
    return 1
