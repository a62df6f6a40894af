"""Which MongoDB to use and how to connect to it.

The product knows only pymongo and a URI. ``MONGO_URI`` (Scrapy setting, else environment)
names an external server; without it the archive uses the embedded SecantusDB server that
:mod:`newscrawler.store.embedded` starts under ``NEWSCRAWLER_DATA_DIR`` (both read through
:func:`newscrawler.config.setting`).

Credentials never reach a log line or an error message: whatever prints a URI goes through
:func:`redact_uri` (or :func:`redact_text` for free text that may contain one).
"""

from __future__ import annotations

import re
from datetime import timezone
from typing import Any
from urllib.parse import unquote

import pymongo
from pymongo.database import Database
from pymongo.errors import ConfigurationError

from newscrawler import config
from newscrawler.store import embedded
from newscrawler.store.errors import ArchiveConfigError


# Short timeouts: an unreachable server must turn into ArchiveUnavailable (and spooling) within
# seconds, not after pymongo's default 30 s per operation. tz_aware: the record contract has
# tz-aware UTC datetimes, and reading them back naive would break comparisons with fresh items.
DEFAULT_CLIENT_OPTIONS: dict[str, Any] = {
    "serverSelectionTimeoutMS": 5000,
    "connectTimeoutMS": 5000,
    "appname": "newscrawler",
    "tz_aware": True,
    "tzinfo": timezone.utc,
}

# scheme://userinfo@ -- greedy up to the LAST '@' (even past '/' or '?') so a password with an
# unescaped '@' or '/' is still hidden entirely: an '@' in a query option then hides the hosts
# too, and a mangled redacted form is better than a leaked secret.
_USERINFO = re.compile(r"(?P<scheme>mongodb(?:\+srv)?://)(?P<userinfo>\S*@)", re.I)
# Query options that carry secrets (tlsCertificateKeyFilePassword, AWS session tokens, ...).
_SECRET_OPTION = re.compile(
    r"(?P<key>[?&](?:[^=&\s]*(?:password|secret|token)[^=&\s]*|authMechanismProperties)=)"
    r"(?P<value>[^&\s]*)",
    re.I,
)
_ANY_URI = re.compile(r"mongodb(?:\+srv)?://\S+", re.I)


def redact_uri(uri: str | None) -> str:
    """``uri`` without credentials: ``mongodb://user:pw@host/db`` -> ``mongodb://***@host/db``.

    Use it for every URI that is logged, printed or put in an exception.
    """
    if not uri:
        return ""
    uri = _USERINFO.sub(lambda m: f"{m['scheme']}***@", uri, count=1)
    return _SECRET_OPTION.sub(lambda m: f"{m['key']}***", uri)


def redact_text(text: str) -> str:
    """Free text (e.g. a driver's error message) with every MongoDB URI in it redacted."""
    return _ANY_URI.sub(lambda m: redact_uri(m.group(0)), text)


def describe_error(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` of a driver error for one log line: redacted, first line, no noise.

    pymongo's server-selection errors append timeouts and a topology dump that bury the
    cause ("Connection refused"); they are cut off.
    """
    text = redact_text(str(exc)).strip().splitlines()[0] if str(exc).strip() else ""
    text = re.split(r" \(configured timeouts|, Timeout: ", text, maxsplit=1)[0]
    return f"{type(exc).__name__}: {text[:limit]}" if text else type(exc).__name__


def failure_sentence(exc: BaseException, uri: str | None,
                     hint: str = "is it running, and is MONGO_URI right?") -> str:
    """One sentence for a driver error of a command: which server (credentials hidden), and
    for a server that does not answer, how long it was given and the cause (``Connection
    refused``), never pymongo's topology dump."""
    from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

    where = f"MongoDB at {redact_uri(uri)}" if uri else "MongoDB"
    if isinstance(exc, (ServerSelectionTimeoutError, AutoReconnect)):
        first = (redact_text(str(exc)).strip().splitlines() or [""])[0]
        first = re.split(r" \(configured timeouts|, Timeout: ", first, maxsplit=1)[0]
        # "host:port: [Errno 111] Connection refused" -> "Connection refused"
        cause = re.sub(r"^\S+:\d+: ", "", first)
        cause = re.sub(r"^\[Errno -?\d+\] ", "", cause).strip() or type(exc).__name__
        waited = re.search(r"Timeout: ([\d.]+)s", str(exc))  # the server selection's, in pymongo's text
        within = f" within {float(waited[1]):g} s" if waited else ""
        return f"{where} did not answer{within} ({cause}): {hint}"
    return f"{where} failed: {describe_error(exc)}"


def resolve_mongo_uri(source: Any = None) -> tuple[str, bool]:
    """``(uri, embedded)``: ``MONGO_URI`` if configured, else the embedded server's URI.

    Resolving the embedded URI starts that server when none is running (see
    :func:`newscrawler.store.embedded.ensure_embedded_server`), so call this only when the
    archive is actually needed.
    """
    uri = config.setting(source, "MONGO_URI")
    if uri:
        return str(uri), False
    return embedded.ensure_embedded_server(config.data_dir(source), embedded_port(source)), True


def embedded_port(source: Any = None) -> int | None:
    """NEWSCRAWLER_DB_PORT; a value that is no port is an ArchiveConfigError."""
    try:
        return config.db_port(source)
    except ValueError as exc:
        raise ArchiveConfigError(str(exc)) from None


def get_client(uri: str, **kwargs: Any) -> pymongo.MongoClient:
    """A ``MongoClient`` with our defaults (short timeouts, appname, tz-aware); ``kwargs`` win.

    Construction does not connect (pymongo is lazy), so an unreachable server surfaces on the
    first operation; a malformed URI is reported here as :class:`ArchiveConfigError`, without
    the credentials the URI may contain.
    """
    # An option the URI names itself wins over our default (pymongo lets keywords win).
    named = {key.lower() for key in re.findall(r"[?&]([^=&]+)=", uri or "")}
    defaults = {key: value for key, value in DEFAULT_CLIENT_OPTIONS.items() if key.lower() not in named}
    options = {**defaults, **kwargs}
    try:
        return pymongo.MongoClient(uri, **options)
    except (ConfigurationError, ValueError, TypeError) as exc:
        message = _scrub(redact_text(str(exc)), uri)
        raise ArchiveConfigError(f"invalid MongoDB URI {redact_uri(uri)}: {message}") from None


def journaled_options(uri: str) -> dict[str, Any]:
    """Client options for journaled writes (j: true), unless the URI sets its own write concern.

    Every writer of the archive uses them: without the journal a server killed (kill -9, OOM,
    power) loses writes it had acknowledged, and the crawl would believe them archived.
    """
    # Not hypothetical: on SecantusDB a kill -9 lost every acknowledged unjournaled write we tried.
    return {} if re.search(r"[?&](journal|w)=", uri, re.I) else {"journal": True}


def get_database(source: Any = None, **client_kwargs: Any) -> Database:
    """The archive database (``MONGO_DATABASE``, default ``newscrawler``) on the resolved server.

    Its writes are journaled (:func:`journaled_options`) unless the URI or ``client_kwargs`` say
    otherwise: the command line's writers (reextract, db, demo) go through here. The caller owns
    the client: close it with ``db.client.close()``.
    """
    uri, _embedded = resolve_mongo_uri(source)
    name = config.setting(source, "MONGO_DATABASE")
    return get_client(uri, **{**journaled_options(uri), **client_kwargs})[name]


def describe_client(client: pymongo.MongoClient) -> str:
    """A credential-free ``mongodb://host:port,...`` for a client whose URI we don't have."""
    hosts = ",".join(f"{host}:{port}" for host, port in client.topology_description.server_descriptions())
    return f"mongodb://{hosts}"


def _scrub(text: str, uri: str) -> str:
    """``text`` with the URI's userinfo and password removed, wherever the driver quoted them."""
    match = _USERINFO.match(uri or "")
    if not match:
        return text
    userinfo = match["userinfo"][:-1]
    password = userinfo.split(":", 1)[1] if ":" in userinfo else ""
    secrets = {userinfo, unquote(userinfo), password, unquote(password)} - {""}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


__all__ = [
    "DEFAULT_CLIENT_OPTIONS",
    "describe_client",
    "describe_error",
    "embedded_port",
    "failure_sentence",
    "get_client",
    "get_database",
    "journaled_options",
    "redact_text",
    "redact_uri",
    "resolve_mongo_uri",
]
