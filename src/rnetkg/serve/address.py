"""Where `rnetkg serve` listens and the address it writes in links: --bind HOST:PORT, the
listening socket, and --public-url."""

from __future__ import annotations

import errno
import re
import socket
import urllib.parse

from .child import ServeError

DEFAULT_BIND = "127.0.0.1:7878"


def parse_bind(bind: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT) as (host, port); ServeError naming what is wrong."""
    text = (bind or "").strip()
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([^:]*)|([^:\[\]\s/]+):([^:]*)", text)
    if not m:
        raise ServeError(f"--bind {bind[:80]!r}: expected HOST:PORT, for example {DEFAULT_BIND}")
    host = m.group(1) or m.group(3)
    port_text = m.group(2) if m.group(1) else m.group(4)
    if not port_text.isdigit():
        raise ServeError(f"--bind {bind[:80]!r}: the port {port_text[:20]!r} is not a number")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ServeError(f"--bind {bind[:80]!r}: the port must be between 1 and 65535")
    return host, port


def parse_public_url(url: str) -> str:
    """--public-url: an http or https URL with a host, no query, fragment or user name, as the base
    of every link (ending in "/"); ServeError naming what is wrong."""
    shown = repr(url[:80])
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise ServeError(f"--public-url {shown}: spaces and control characters are not allowed")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise ServeError(f"--public-url {shown}: not a URL ({e})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ServeError(f"--public-url {shown}: must start with http:// or https://")
    if not parts.hostname:
        raise ServeError(f"--public-url {shown}: names no host (for example https://rnet.example.org/)")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ServeError(f"--public-url {shown}: must have no query (?...) or fragment (#...)")
    if parts.username is not None or parts.password is not None:
        raise ServeError(f"--public-url {shown}: must not hold a user name or password")
    if port == 0:
        raise ServeError(f"--public-url {shown}: the port must be between 1 and 65535")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def _bind_arg(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _url_host(host: str) -> str:
    """The host to put in a URL: a wildcard address is reached through the loopback address."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; ServeError when nothing can listen there."""
    where = _bind_arg(host, port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ServeError(f"--bind {where}: unknown host {host!r}") from None
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free
    try:
        sock.bind(addr)
        sock.listen(2048)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ServeError(f"--bind {where}: port {port} is already in use") from None
        if e.errno == errno.EACCES:
            raise ServeError(f"--bind {where}: not allowed to listen on port {port}") from None
        raise ServeError(f"--bind {where}: cannot listen there ({e.strerror})") from None
    sock.set_inheritable(False)
    return sock


def check_bindable(host: str, port: int) -> None:
    """ServeError when nothing could listen on host:port (unknown host, port in use, not allowed)."""
    listen(host, port).close()
