"""Error codes, so a message can be looked up in docs/errors.md and tested for."""

from __future__ import annotations


class CasebridgeError(Exception):
    """Base error; str() starts with the code, e.g. 'E201: ...'."""

    code = "E000"

    def __init__(self, message: str) -> None:
        super().__init__(f"{self.code}: {message}")


class InputError(CasebridgeError):
    """The records folder or a command argument cannot be used at all."""

    code = "E201"


class SchemaError(CasebridgeError):
    code = "E101"
