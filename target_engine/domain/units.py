"""Fixed-point units and the decimal-string helpers used at the edges.

Everything inside the domain is an ``int``:

* price  = decimal price * ``PRICE_SCALE`` (10^4)
* qty    = decimal quantity * ``QTY_SCALE`` (10^6)
* money  = decimal amount of the settlement asset * ``MONEY_SCALE`` (10^10 = PRICE_SCALE * QTY_SCALE),
  so ``price * qty`` is money exactly (no rounding in notional or cost basis)
* rate   = decimal fraction * ``RATE_SCALE`` (10^8): fee rates, MMR, funding rates.

The ``parse_*`` helpers turn decimal strings (HTTP, CLI, YAML) into these ints and raise ``DomainError``
with a stable code on a bad format, a price off the tick, a quantity off the step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import DomainError, RejectCode

if TYPE_CHECKING:
    from .instruments import Instrument

PRICE_DECIMALS = 4
QTY_DECIMALS = 6
MONEY_DECIMALS = PRICE_DECIMALS + QTY_DECIMALS
RATE_DECIMALS = 8
PRICE_SCALE = 10_000
QTY_SCALE = 1_000_000
MONEY_SCALE = 10_000_000_000
RATE_SCALE = 100_000_000
MAX_DECIMAL_CHARS = 40


def pow10(n: int) -> int:
    return int(10**n)


def parse_decimal(text: object, decimals: int, code: RejectCode | str = RejectCode.INVALID_AMOUNT) -> int:
    """Parse a plain decimal string ("60000.1", "-5", "0.001") into an int scaled by 10^decimals.

    Accepts an ``int`` as a whole number too. Rejects exponents, blanks, more fractional digits than
    ``decimals`` allows, and anything that is not a number, with ``DomainError(code)``.
    """
    if isinstance(text, bool):
        raise DomainError(code, f"not a decimal: {text!r}")
    if isinstance(text, int):
        return int(text) * pow10(decimals)
    if not isinstance(text, str) or not text or len(text) > MAX_DECIMAL_CHARS:
        raise DomainError(code, f"not a decimal string: {text!r}")
    body = text
    negative = body.startswith("-")
    if negative or body.startswith("+"):
        body = body[1:]
    whole, dot, frac = body.partition(".")
    if (not whole and not frac) or (whole and not whole.isdigit()) or (frac and not frac.isdigit()):
        raise DomainError(code, f"not a decimal string: {text!r}")
    if dot and not frac and not whole:
        raise DomainError(code, f"not a decimal string: {text!r}")
    if not whole.isascii() or not frac.isascii():
        raise DomainError(code, f"not a decimal string: {text!r}")
    stripped = frac.rstrip("0")
    if len(stripped) > decimals:
        raise DomainError(code, f"too many decimal places in {text!r} (at most {decimals})")
    frac_value = int((stripped or "0").ljust(decimals, "0")[:decimals] or "0")
    value: int = int(whole or "0") * pow10(decimals) + frac_value
    return -value if negative else value


def format_decimal(value: int, decimals: int, places: int | None = None) -> str:
    """Format a scaled int as a decimal string; ``places`` rounds half away from zero to that many places.

    Trailing zeros are kept up to ``places`` when given, otherwise stripped (but at least one digit).
    """
    negative = value < 0
    magnitude = -value if negative else value
    if places is not None and places < decimals:
        unit = pow10(decimals - places)
        magnitude = (magnitude + unit // 2) // unit
        decimals = places
    whole, frac = divmod(magnitude, pow10(decimals))
    text = str(whole)
    if decimals:
        digits = str(frac).rjust(decimals, "0")
        if places is None:
            digits = digits.rstrip("0")
        if digits:
            text = f"{text}.{digits}"
    return f"-{text}" if negative and magnitude else text


def _parse_on_grid(
    text: object,
    decimals: int,
    grid: int,
    codes: tuple[RejectCode, RejectCode],
    noun: str,
    grid_name: str,
    render: Callable[[int], str],
) -> int:
    """A positive decimal that is a multiple of ``grid``; ``codes`` = (invalid value, off the grid)."""
    invalid, off_grid = codes
    try:
        value = parse_decimal(text, decimals, invalid)
    except DomainError as exc:
        if "too many decimal places" in exc.message:
            raise DomainError(off_grid, exc.message) from None
        raise
    if value <= 0:
        raise DomainError(invalid, f"{noun} must be positive: {text!r}")
    if value % grid:
        raise DomainError(off_grid, f"{noun} {text} is not a multiple of {grid_name} {render(grid)}")
    return value


def parse_price(instrument: Instrument, text: object) -> int:
    """A positive price on the instrument's tick (``INVALID_PRICE`` / ``INVALID_TICK_SIZE``)."""
    return _parse_on_grid(text, PRICE_DECIMALS, instrument.tick_size,
                          (RejectCode.INVALID_PRICE, RejectCode.INVALID_TICK_SIZE), "price", "tick",
                          format_price)


def parse_qty(instrument: Instrument, text: object) -> int:
    """A positive quantity on the instrument's step (``INVALID_QUANTITY`` / ``INVALID_STEP_SIZE``)."""
    return _parse_on_grid(text, QTY_DECIMALS, instrument.step_size,
                          (RejectCode.INVALID_QUANTITY, RejectCode.INVALID_STEP_SIZE), "quantity", "step",
                          format_qty)


def parse_amount(text: object, *, allow_negative: bool = False) -> int:
    """A money amount (up to 10 decimals) for deposits, withdrawals, margin adjustments."""
    value = parse_decimal(text, MONEY_DECIMALS, RejectCode.INVALID_AMOUNT)
    if value == 0 or (value < 0 and not allow_negative):
        wanted = "non-zero" if allow_negative else "positive"
        raise DomainError(RejectCode.INVALID_AMOUNT, f"amount must be {wanted}: {text!r}")
    return value


def parse_rate(text: object) -> int:
    return parse_decimal(text, RATE_DECIMALS, "INVALID_CONFIG")


def format_price(value: int, places: int | None = None) -> str:
    return format_decimal(value, PRICE_DECIMALS, places)


def format_qty(value: int) -> str:
    return format_decimal(value, QTY_DECIMALS)


def format_money(value: int, places: int | None = None) -> str:
    return format_decimal(value, MONEY_DECIMALS, places)


def format_rate(value: int) -> str:
    return format_decimal(value, RATE_DECIMALS)


def ceil_div(a: int, b: int) -> int:
    """Exact ceiling division for ints (b > 0)."""
    return -((-a) // b)


def round_div(a: int, b: int) -> int:
    """Division rounded half away from zero (b > 0)."""
    q, r = divmod(abs(a), b)
    if 2 * r >= b:
        q += 1
    return q if a >= 0 else -q
