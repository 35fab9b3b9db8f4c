"""A command line's `main(argv)` run in this process, answered like `subprocess.run`'s result.

A `python -m lib.admin …` subprocess spends ~2 s of CPU starting Python and importing pandas,
Alembic and SQLAlchemy before it does anything; most command-line tests are about what the command
does and says, not about the process boundary. Each command keeps at least one test that runs it
as a real subprocess (exit code, nothing on stderr but its one line, no traceback).

What a real process would show and this keeps: the exit code (argparse's SystemExit included), what
was printed to stdout and stderr, standard input, the environment (DATABASE_URL…), and any Python
warning the interpreter would show by default, written to stderr as it would. An exception `main`
lets escape (a real run's traceback) is raised here, so the test fails with it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock


def run_main(
    main: Callable[[list[str]], int],
    args: Sequence[str],
    *,
    env: dict[str, str],
    stdin: str = "",
    prog: str = "python -m",
) -> subprocess.CompletedProcess[str]:
    """`main(args)` with `env` added to the environment and `stdin` as standard input."""
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(sys, "stdin", io.StringIO(stdin)),
        redirect_stdout(out),
        redirect_stderr(err),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("default")  # the interpreter's defaults: shown once, these four ignored
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category)
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for warning in caught:
        err.write(warnings.formatwarning(warning.message, warning.category, warning.filename, warning.lineno))
    return subprocess.CompletedProcess([prog, *args], code, out.getvalue(), err.getvalue())
