"""A warm process that forks app servers for tests: `python -m tests.support.app_zygote`.

A test server started with `python -m streamlit run app.py` spends ~1 s importing Streamlit before
it listens, and its first request ~4 s more importing pandas, Altair, pydeck and SQLAlchemy. The
browser tests start some thirty servers, most of them to serve that first request (DESIGN.md,
"Known traps"). This process imports those third-party modules once, then forks a server for each
request it reads: each child starts Streamlit's server and runtime from scratch, exactly as the
command would (nothing of Streamlit's runtime exists before the fork, and none of lib/ is imported),
only without the imports.

Protocol: one JSON object per line on stdin, {"args", "env", "cwd", "stdout", "stderr"}; the answer is
one line {"pid": N}. Each child leads its own session (its pid is its process group) and is reaped
here as soon as it ends. The process exits when stdin closes.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any


def _warm() -> None:
    """Import what every app server imports anyway: Streamlit's command line, then the libraries the
    pages import on their first run. Nothing here starts a thread, a server or a runtime."""
    import altair  # noqa: F401
    import pandas  # noqa: F401
    import pydeck  # noqa: F401
    import sqlalchemy  # noqa: F401
    import streamlit.web.cli  # noqa: F401


def _serve(request: dict[str, Any]) -> None:
    """In the forked child: become `streamlit run …` with the request's environment; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(target, fd)
            os.close(target)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = request["cwd"]
        from streamlit.web import cli

        cli.main(args=request["args"], prog_name="streamlit")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    _warm()
    # Children are reaped by the kernel as they end: a server that exits vanishes at once, which is
    # how the test side sees it end (os.kill(pid, 0) fails).
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _serve(request)
        print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    main()
