"""A row as one viewer is shown it: the row's own attributes, with the values the domain redacted or computed."""

from __future__ import annotations


class Shown:
    """The domain decides the values (a blurred point, a hidden text, a computed state, a count); the API schema, the
    contract, is the one list of the fields that go out. An attribute given here replaces or adds to the row's; any
    other attribute is read from the row, so a field added to the schema needs no second list here."""

    def __init__(self, row, **given):
        self.__dict__["_row"] = row
        self.__dict__.update(given)

    def __getattr__(self, name: str):
        # Only called for names not given: those are the row's.
        return getattr(self.__dict__["_row"], name)

    @property
    def given(self) -> frozenset[str]:
        """The names the domain set itself (tests check each is a field of the schema that shows it)."""
        return frozenset(name for name in self.__dict__ if name != "_row")
