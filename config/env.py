"""Typed access to environment variables; a bad value fails loudly at start-up."""

import ipaddress
import os
import re
import zoneinfo
from datetime import date

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


def env_str(name: str, default=_MISSING) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default
    return value


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default=default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(
    name: str, default: list[str]
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of networks in CIDR notation (a bare address is one host)."""
    networks = []
    for item in env_list(name, default=default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list networks such as 10.0.0.0/8, not {item!r}."
            ) from None
    return networks


_RATE = re.compile(r"[1-9][0-9]*/(second|minute|hour|day)")


def env_rate(name: str, default: str) -> str:
    """A request rate such as 600/minute (per second, minute, hour or day)."""
    value = env_str(name, default=default).strip()
    if not _RATE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name} must be a count per second, minute, hour or day, such as 600/minute, "
            f"not {value!r}."
        )
    return value


def env_pairs(name: str) -> list[tuple[str, str]]:
    """A comma-separated list of ``key=value`` pairs, in order; a key may repeat."""
    pairs = []
    for item in env_list(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} must list pairs such as a=b,c=d, not {item!r}.")
        pairs.append((key.strip(), value.strip()))
    return pairs


def env_time_zone(name: str, default: str) -> str:
    value = env_str(name, default=default)
    if value not in zoneinfo.available_timezones():
        raise ImproperlyConfigured(
            f"{name} must be a time zone such as Europe/Paris, not {value!r}."
        )
    return value


def env_weekdays(name: str, default: list[int]) -> list[int]:
    """ISO weekday numbers (1 = Monday ... 7 = Sunday), at least one."""
    items = env_list(name, default=[str(day) for day in default])
    if not items or any(item not in {"1", "2", "3", "4", "5", "6", "7"} for item in items):
        raise ImproperlyConfigured(
            f"{name} must list weekday numbers from 1 (Monday) to 7 (Sunday), such as 1,2,3,4,5."
        )
    return sorted({int(item) for item in items})


def env_dates(name: str) -> list[date]:
    """Dates written YYYY-MM-DD, comma-separated."""
    try:
        return [date.fromisoformat(item) for item in env_list(name)]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must list dates written YYYY-MM-DD, such as 2026-12-25,2026-12-26."
        ) from None
