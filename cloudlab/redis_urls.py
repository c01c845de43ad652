"""One REDIS_URL, three consumers: the channel layer, Celery's broker, and our own small client.

``REDIS_URL`` is ``redis://host:port/db`` (or ``rediss://``) or ``unix:///path/to/redis.sock``
(what the embedded Redis uses). Each consumer spells the same server differently; this module
is the one place that knows how.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .env import ConfigError


def validate(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"REDIS_URL={url!r} must start with redis://, rediss:// or unix://")
    if parts.scheme == "unix" and not parts.path:
        raise ConfigError(f"REDIS_URL={url!r} names no socket path")
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"REDIS_URL={url!r} names no host")
    return url


def with_db(url: str, db: int) -> str:
    """The same server, database ``db`` (channel layer, broker and events use different ones)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = parse_qs(parts.query)
        query["db"] = [str(db)]
        return f"unix://{parts.path}?{urlencode(query, doseq=True)}"
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def celery_broker(url: str, db: int) -> str:
    """Kombu spells a unix socket ``redis+socket:///path?virtual_host=N``."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"redis+socket://{parts.path}?virtual_host={db}"
    return with_db(url, db)
