"""How the ``j1`` commands report a failure: one line on stderr, the traceback only when asked.

``J1_DEBUG=1`` in the environment (or ``j1 --debug COMMAND ...``) lets the exception propagate
with its full traceback instead.
"""

from __future__ import annotations

import os
import sys

DEBUG_ENV = "J1_DEBUG"

# Errors that describe what the user should change (bad data, options, files, plugins): the
# message says it all. Anything else is unexpected and also names its type.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, LookupError, OSError, RuntimeError)


def debugging() -> bool:
    """Whether tracebacks were asked for (``J1_DEBUG`` set to anything but empty, 0, false or no)."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def report(prog: str, exc: BaseException) -> int:
    """Print ``exc`` as one line for the command ``prog`` and return its exit status (2 or 1).

    Re-raises ``exc`` when :func:`debugging` is on.
    """
    if debugging():
        raise exc
    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, USER_ERRORS) and type(exc).__module__.startswith(("j1_plugin", "builtins")):
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    print(f"{prog}: error: {type(exc).__name__}: {message}  ({DEBUG_ENV}=1 shows the traceback)", file=sys.stderr)
    return 1
