"""Generate ``messages.pyi``, the type stub of the message classes, from the layout table.

The message classes get their fields at run time from :data:`.layout.LAYOUTS`,
so a type checker reading ``messages.py`` would see none of them.  The stub
declares, for each class, every field with its Python type (``int``,
``float`` or ``str``; enumerated fields are ``int``, which IntEnum members
are), a keyword-only ``__init__`` with the defaults, ``replace`` with the same
keywords and ``encode_seq`` where the class has a sequence field, so mypy
reports a misspelled field name and a value of the wrong type.

Run ``python -m crmd_twisted.wire.stubgen`` after changing the layout table
(``--check`` exits 1 if the committed stub is stale; a test does the same).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from .layout import LAYOUTS, FieldKind, FieldSpec, MessageLayout

__all__ = ["STUB_PATH", "main", "stub_text"]

#: Where the stub lives: next to the module it describes.
STUB_PATH = Path(__file__).with_name("messages.pyi")

_WIDTH = 100

_PY_TYPES = {
    FieldKind.INT: "int",
    FieldKind.FLOAT: "float",
    FieldKind.HALF: "float",
    FieldKind.TEXT: "str",
}

#: Named tuples of the repeated groups: class name -> (layout, group prefix).
_GROUP_TUPLES = {
    "Level": ("three_level_data", "level"),
    "Entry": ("ten_level_data", "entry"),
    "Subscription": ("md_subscribe", "sub"),
}

#: Base class of a message class, where it is not Message itself.
_BASES = {
    "ThreeLevelData": "_Levels",
    "FiveLevelData": "_Levels",
    "TenLevelData": "_Entries",
    "TwentyLevelData": "_Entries",
    "ThirtyLevelData": "_Entries",
}

#: Hand-written members of ``messages.py`` that the layout cannot describe.
_EXTRAS = {
    "ClientLogon": [
        "@property",
        "def primary_oes(self) -> tuple[str, int] | None: ...",
        "@property",
        "def secondary_oes(self) -> tuple[str, int] | None: ...",
        "@property",
        "def primary_mds(self) -> tuple[str, int] | None: ...",
        "@property",
        "def secondary_mds(self) -> tuple[str, int] | None: ...",
    ],
    "Transaction": [
        "def attribute_set(self, attribute: Attribute | int) -> bool: ...",
        "def with_attributes(self, *attributes: Attribute | int) -> Transaction: ...",
    ],
    "MdSubscribe": [
        "@property",
        "def subscriptions(self) -> tuple[Subscription, ...]: ...",
    ],
}

_HEAD = '''\
# Generated from crmd_twisted/wire/layout.py by `python -m crmd_twisted.wire.stubgen`.
# Do not edit: change the layout table (or stubgen.py) and regenerate.

from collections.abc import Mapping
from typing import NamedTuple

from ._base import Message as Message
from ._base import decode as decode
from .enums import Attribute

__all__ = [
{names}]

MESSAGE_TYPES: Mapping[str, type[Message]]
MESSAGES_BY_NAME: Mapping[str, type[Message]]

def message_class(name_or_char: str) -> type[Message]: ...
'''

_MIXINS = '''
class _Levels(Message):
    @property
    def levels(self) -> tuple[Level, ...]: ...

class _Entries(Message):
    @property
    def entries(self) -> tuple[Entry, ...]: ...
'''


def _wrapped(items: Sequence[str], indent: str) -> list[str]:
    """``items`` joined by ", " in lines of at most ``_WIDTH`` columns, each line ending ','."""
    lines: list[str] = []
    line = ""
    for item in items:
        piece = f"{item},"
        if line and len(indent) + len(line) + 1 + len(piece) > _WIDTH:
            lines.append(indent + line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    if line:
        lines.append(indent + line)
    return lines


def _default(spec: FieldSpec) -> str:
    return repr(spec.default).replace("'", '"')


def _signature(head: str, params: Iterable[str], returns: str, note: str = "") -> list[str]:
    return [f"    def {head}({note}", "        self,", "        *,",
            *_wrapped(list(params), " " * 8), f"    ) -> {returns}: ..."]


def _message_class(layout: MessageLayout) -> list[str]:
    name = layout.class_name
    body = layout.body_fields
    lines = ["", f"class {name}({_BASES.get(name, 'Message')}):"]
    lines += [f"    {f.name}: {_PY_TYPES[f.kind]}" for f in body]
    lines += _signature(
        "__init__",
        ["type_char: str | None = None", "length: int | None = None"]
        + [f"{f.name}: {_PY_TYPES[f.kind]} = {_default(f)}" for f in body],
        "None",
    )
    # narrower than Message.replace(**changes: Any), on purpose
    lines += _signature(
        "replace",
        [f"{f.name}: {_PY_TYPES[f.kind]} = ..." for f in body],
        name,
        "  # type: ignore[override]",
    )
    if layout.seq_field is not None:
        lines.append("    def encode_seq(self, seq: int) -> bytes: ...")
    lines += [f"    {extra}" for extra in _EXTRAS.get(name, [])]
    return lines


def _group_tuple(name: str, layout_name: str, prefix: str) -> list[str]:
    group = next(g for g in LAYOUTS[layout_name].groups if g.prefix == prefix)
    return ["", f"class {name}(NamedTuple):",
            *(f"    {f.name}: {_PY_TYPES[f.kind]}" for f in group.fields)]


def stub_text() -> str:
    """The text of ``messages.pyi`` for the current layout table."""
    from . import messages

    names = "".join(f'    "{n}",\n' for n in messages.__all__)
    lines = [_HEAD.format(names=names).rstrip("\n")]
    for tuple_name, (layout_name, prefix) in _GROUP_TUPLES.items():
        lines += _group_tuple(tuple_name, layout_name, prefix)
    lines.append(_MIXINS.rstrip("\n"))
    for layout in LAYOUTS.values():
        lines += _message_class(layout)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crmd_twisted.wire.stubgen", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed stub is out of date"
    )
    args = parser.parse_args(argv)
    text = stub_text()
    if args.check:
        current = STUB_PATH.read_text(encoding="utf-8") if STUB_PATH.exists() else ""
        if current != text:
            sys.stderr.write(f"{STUB_PATH} is out of date: run {parser.prog}\n")
            return 1
        return 0
    STUB_PATH.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
