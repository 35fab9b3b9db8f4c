"""Test infrastructure: a real PostgreSQL server, the app server and Debian's Chromium.

Kept out of `conftest.py` so fixtures stay thin and the helpers can be used from scripts too.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Availability:
    """Whether a piece of test infrastructure was found, cheaply (nothing is started).

    `detail` says what was found, or why nothing was, in words fit for a test report.
    """

    found: bool
    detail: str


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
