"""Turning values into what JSON (and so the workflow serializer) can hold."""
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any


def json_safe(value: object) -> Any:
    """Return `value` with dates as ISO strings, Decimals as numbers and sets as sorted lists."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((json_safe(v) for v in value), key=repr)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"a value of type {type(value).__name__} cannot be stored in case data")
