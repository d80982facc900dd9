"""Reading JSON and JSON Lines input files, with errors that name the file and the line.

Every reader of user files (benchmark data, preference data, saved judgments) goes through here,
so a file in the wrong encoding, a line that is not JSON, a number with thousands of digits or
nesting deep enough to exhaust the parser all give one clear error of the caller's type, never a
bare ``UnicodeDecodeError`` or ``RecursionError``. Text must be UTF-8 (a UTF-8 byte-order mark is
accepted); a UTF-16 or UTF-32 file is recognised by its byte-order mark and named as such.
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_WIDE_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def _check_not_wide(path: Path, head: bytes, error: type[ValueError]) -> None:
    for bom, name in _WIDE_BOMS.items():
        if head.startswith(bom):
            raise error(f"{path} is {name} text; save it as UTF-8")


def _decode(raw: bytes, path: Path, number: int, error: type[ValueError]) -> str:
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path} line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
        ) from None


def parse_json(text: str, where: str, error: type[ValueError]) -> Any:
    """``json.loads(text)``, with any failure raised as ``error`` naming ``where``.

    ``NaN`` and ``Infinity``, which Python's ``json`` accepts but JSON does not, are refused.
    """
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise error(f"{where}: JSON nested too deeply to read") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise error(f"{where}: not valid JSON ({exc})") from None


def json_object(text: str, what: str, error: type[ValueError]) -> dict[str, Any]:
    """``text`` (a command-line flag or an environment variable named ``what``) read as one JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{what} must be one JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise error(f"{what} must be one JSON object, got {type(value).__name__}")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def iter_jsonl(path: str | os.PathLike[str], error: type[ValueError]) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every non-blank line of a JSON Lines file."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1:
                _check_not_wide(path, raw, error)
            text = _decode(raw, path, number, error).rstrip("\r\n")
            if text.strip():
                yield number, parse_json(text, f"{path} line {number}", error)


def read_json(path: str | os.PathLike[str], error: type[ValueError]) -> Any:
    """The value of a whole-file JSON document."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    _check_not_wide(path, raw, error)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"{path} line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
    return parse_json(text, str(path), error)
