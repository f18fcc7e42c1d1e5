"""Cost overrides: a mapping or the text of ``dualpipe-translate --cost``."""

from typing import Mapping, Optional, Union

Costs = Union[None, str, Mapping[str, Union[int, float, str]]]


def cost_text(costs: Costs, argument: str = "costs") -> str:
    """``{'f': 1, 'b': 2}`` -> ``"f=1,b=2"``, the keys of ``--cost``
    (``f``, ``b``, ``w``, ``fb``, ``act``, ``param``, ``msg``, ``f@S`` for
    stage S, ``latency``, ``bandwidth``, ...); the core checks them."""
    if costs is None:
        return ""
    if isinstance(costs, str):
        return costs
    if not isinstance(costs, Mapping):
        raise TypeError(f"{argument}: expected a dict of costs such as "
                        f"{{'f': 1, 'b': 2, 'w': 1}} or a string such as "
                        f"'f=1,b=2,w=1', got {type(costs).__name__}")
    parts = []
    for key, value in costs.items():
        if not isinstance(key, str):
            raise TypeError(f"{argument}: keys are cost names (str), got "
                            f"{key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(f"{argument}[{key!r}]: expected a number, got "
                            f"{type(value).__name__}")
        parts.append(f"{key}={value!r}" if isinstance(value, float)
                     else f"{key}={value}")
    return ",".join(parts)


def check_int(value: object, argument: str, minimum: Optional[int] = None,
              ) -> int:
    """``value`` as an int, or TypeError / ValueError naming ``argument``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{argument}: expected an int, got "
                        f"{type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{argument}: expected an int >= {minimum}, got "
                         f"{value}")
    return value


def check_bool(value: object, argument: str) -> bool:
    """``value`` as a bool, or TypeError naming ``argument``."""
    if not isinstance(value, bool):
        raise TypeError(f"{argument}: expected True or False, got "
                        f"{type(value).__name__}")
    return value


def byte_text(value: object, argument: str) -> str:
    """A byte budget (a number or text such as ``"16GiB"``) as text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"{argument}: expected a byte count or a size such "
                        f"as '16GiB', got {type(value).__name__}")
    return repr(value) if isinstance(value, float) else str(value)
