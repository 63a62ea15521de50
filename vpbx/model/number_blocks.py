"""Blocks of public numbers as the carrier assigns them to tenants. Pure logic.

A block is written one of three ways (the platform file, the operators' page, the API):

    "+41215667955"                 one number
    "+41215667900-+41215667999"    a range: every number from the first to the last, both of
                                   the same length (E.164, ASCII digits)
    "+4121566*"                    a prefix: every number that starts with it

`Block.parse` reads one (or says why it cannot), `str(block)` writes it back in that form,
`contains` and `overlaps` are what the assignment rules need.
"""
import re
from dataclasses import dataclass

from vpbx.model.numbers import is_e164
from vpbx.reasons import Reason

_PREFIX = re.compile(r"\+[1-9][0-9]{0,13}")
BLOCK_RULE = Reason("block")
LISTED_AT_MOST = 200         # a block's free numbers listed one by one when it has this few


class BlockError(ValueError):
    """Not a block; `reason` (a vpbx.reasons.Reason) says what is expected."""

    @property
    def reason(self) -> Reason:
        return self.args[0]


@dataclass(frozen=True, order=True)
class Block:
    """Numbers first..last (strings of the same length) or, when `prefix` is set, every
    number starting with it (first and last are then the prefix)."""
    first: str
    last: str
    prefix: bool = False

    @classmethod
    def parse(cls, text) -> "Block":
        """The block `text` writes (see the module doc), or BlockError."""
        if not isinstance(text, str):
            raise BlockError(BLOCK_RULE)
        text = text.strip()
        if text.endswith("*"):
            stem = text[:-1]
            if not _PREFIX.fullmatch(stem):
                raise BlockError(BLOCK_RULE)
            return cls(stem, stem, prefix=True)
        first, dash, last = text.partition("-")
        last = last if dash else first
        if not (is_e164(first) and is_e164(last)) or len(first) != len(last):
            raise BlockError(BLOCK_RULE)
        if first > last:
            raise BlockError(Reason("block_order", block=text))
        return cls(first, last)

    def __str__(self) -> str:
        if self.prefix:
            return f"{self.first}*"
        return self.first if self.first == self.last else f"{self.first}-{self.last}"

    @property
    def size(self) -> int | None:
        """How many numbers the block holds (None for a prefix: as many as the numbering
        plan gives it)."""
        return None if self.prefix else int(self.last[1:]) - int(self.first[1:]) + 1

    def contains(self, number: str) -> bool:
        """Whether `number` (E.164) is one of the block's."""
        if self.prefix:
            return number.startswith(self.first)
        return len(number) == len(self.first) and self.first <= number <= self.last

    def overlaps(self, other: "Block") -> bool:
        """Whether a number can be in both blocks."""
        if self.prefix and other.prefix:
            return self.first.startswith(other.first) or other.first.startswith(self.first)
        if self.prefix or other.prefix:
            prefix, block = (self, other) if self.prefix else (other, self)
            width = len(block.first)
            if len(prefix.first) > width:
                return False
            low, high = prefix.first.ljust(width, "0"), prefix.first.ljust(width, "9")
            return low <= block.last and block.first <= high
        return len(self.first) == len(other.first) and self.first <= other.last \
            and other.first <= self.last

    def numbers(self, limit: int = LISTED_AT_MOST) -> list[str]:
        """The block's numbers in order, at most `limit` of them (none for a prefix)."""
        if self.prefix:
            return []
        width, start = len(self.first) - 1, int(self.first[1:])
        return [f"+{value:0{width}d}" for value in range(start, start + min(self.size, limit))]


def owner_of(number: str, assignments) -> str | None:
    """The tenant a number is assigned to: `assignments` is (tenant, Block) pairs."""
    return next((tenant for tenant, block in assignments if block.contains(number)), None)
