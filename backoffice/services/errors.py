"""The refusal of a business rule, with a message for the user (Chinese) and, when one form
field is at fault, that field's name so the form can show the message next to it."""

from __future__ import annotations


class RuleError(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message
