"""The one error type for a refused rule (STYLE 11): a message for the user, in Chinese, and,
when one form field is at fault, that field's name so the form can show the message beside it.

Every service refusal is a RuleError or a subclass; views catch RuleError and show it."""

from __future__ import annotations


class RuleError(Exception):
    message = ""  # a subclass may give a default

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        message = message or self.message
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class OutOfScopeError(RuleError):
    """SECURITY B1, B8: the record is outside the actor's jurisdiction. The message is the one
    a missing record gets, so it never tells whether the record exists elsewhere."""

    message = "找不到该记录，或它不在您的辖区内。"
