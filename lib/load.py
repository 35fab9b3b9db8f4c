"""A county's own files into DATABASE_URL (migrated first), reported row by row.

    python -m lib.load divisions 区划.xlsx --dry-run        # what it would add, change, leave alone
    python -m lib.load divisions 区划.xlsx                  # load it when every row passes
    python -m lib.load households 建档立卡户.xlsx --retire-missing
    python -m lib.load boundaries 村级界线.zip --epsg 4547   # GeoJSON or a zipped Shapefile
    python -m lib.load template households --lang zh > 建档立卡户模板.xlsx

KIND is one of: divisions, households, boundaries, postings, training, organisations, plans.
A file is .xlsx or .csv (UTF-8 or GB 18030). Nothing is
written unless every row passes; a file that changes nothing writes nothing. Records the file no
longer holds are listed and retired (never deleted) only with --retire-missing. The command line
acts as an admin (audit rows say "cli"), like python -m lib.admin.

Exit status: 0 loaded (or, with --dry-run, would load), 2 the file has problems or the input was
refused, 1 the database could not be reached or failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import DatabaseError, check_connection, explain_failure, make_engine
from lib.core.i18n import set_language, t
from lib.core.schema import upgrade
from lib.files.boundaries import read_boundaries
from lib.files.imports import RecordType, column_label, column_text, problem_text, template_bytes
from lib.files.loads import BOUNDARIES, KINDS, LOAD_MAX_BYTES, load_kind, read_file
from lib.rules.permissions import COMMAND_LINE
from lib.services.loading import (
    Change,
    LoadReport,
    check_load,
    division_codes,
    load_boundaries,
    run_load,
    saved_mapping,
)

SHOWN_CHANGES = 50  # changes listed one by one (--all lists every one)


def _shown_value(name: str, value: object) -> str:
    """A changed field's value as the report prints it: a status by its name, a blank as a dash."""
    if name == "status" and isinstance(value, str):
        return t(f"village.status.{value}")
    return "—" if value is None or value == "" else str(value)


def change_line(change: Change, kind: RecordType | None = None) -> str:
    """One change as a line: row, key, what happens and the fields that differ (by their labels)."""
    where = t("load.report.row", row=change.row) if change.row is not None else t("load.report.not_in_file")
    what = t(f"load.action.{change.action}")
    if change.action == "change" or (change.action == "restore" and change.new):
        fields = "; ".join(
            f"{column_label(name, t, kind)}: "
            f"{_shown_value(name, change.old.get(name))} → {_shown_value(name, value)}"
            for name, value in change.new.items()
            if name != "geometry"  # an outline is kilobytes of coordinates
        )
        return f"{where}  {change.key}  {what}  {fields}".rstrip()
    return f"{where}  {change.key}  {what}"


def report_lines(report: LoadReport, *, dry_run: bool, every: bool = False) -> list[str]:
    """The report as the command line prints it, in the current language."""
    lines: list[str] = []
    if report.problems:
        lines.append(t("load.report.problems", n=len(report.problems), rows=report.row_count))
        for problem in sorted(report.problems, key=lambda p: (p.row or 0, p.letter or "")):
            where = (
                t("load.report.row", row=problem.row) if problem.row is not None else t("load.report.file")
            )
            column = column_text(problem, t, report.kind)
            lines.append(f"  {where}  {column}  {problem_text(problem, t, report.kind)}".rstrip())
        lines.append(t("load.report.nothing_written"))
        return lines
    lines.append(
        t(
            "load.report.summary",
            rows=f"{report.row_count:,}",
            added=f"{report.count('add'):,}",
            changed=f"{report.count('change') + report.count('restore'):,}",
            unchanged=f"{report.unchanged:,}",
            missing=f"{len(report.missing):,}",
        )
    )
    if report.ignored:
        lines.append(t("load.report.ignored", names=", ".join(report.ignored[:20])))
    if report.loaded_before is not None:
        lines.append(t("load.report.loaded_before", at=report.loaded_before.strftime("%Y-%m-%d %H:%M")))
    shown = report.changes if every else report.changes[:SHOWN_CHANGES]
    lines += [f"  {change_line(change, report.kind)}" for change in shown]
    if len(shown) < len(report.changes):
        lines.append("  " + t("load.report.more", n=f"{len(report.changes) - len(shown):,}"))
    if report.unmatched:
        lines.append(t("load.report.unmatched", n=f"{len(report.unmatched):,}"))
        lines += [
            f"  {t('load.report.row', row=change.row)}  {change.key}  {change.new.get('name', '')}".rstrip()
            for change in report.unmatched
        ]
    if report.missing:
        key = "load.report.missing_retired" if report.retired else "load.report.missing"
        lines.append(t(key, n=len(report.missing), shown=f"{len(report.missing):,}"))
        missing = report.missing if every else report.missing[:SHOWN_CHANGES]
        lines += [f"  {change.table}  {change.key}" for change in missing]
    if dry_run:
        lines.append(t("load.report.dry_run"))
    elif report.committed:
        lines.append(t("load.report.loaded"))
    else:
        lines.append(t("load.report.nothing_to_do"))
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", help=f"template, or one of: {', '.join(KINDS)}")
    parser.add_argument("file", help="the .xlsx or .csv file (for template: the kind)")
    parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    parser.add_argument(
        "--retire-missing", action="store_true", help="retire records the file no longer holds"
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language of the report (default zh)"
    )
    parser.add_argument("--all", action="store_true", help="list every change, not the first 50")
    parser.add_argument(
        "--as-of", type=dt.date.fromisoformat, default=None, help="the date of the data (YYYY-MM-DD)"
    )
    parser.add_argument("--code-property", help="boundaries: the property holding the division code")
    parser.add_argument("--epsg", type=int, help="boundaries: the EPSG code of the file's coordinates")
    return parser


def _template(kind_code: str, lang: str) -> int:
    if kind_code not in KINDS:
        print(t("load.cli.unknown_kind", kind=kind_code, kinds=", ".join(KINDS)), file=sys.stderr)
        return 2
    if sys.stdout.isatty():
        print(t("load.cli.template_to_tty"), file=sys.stderr)
        return 2
    sys.stdout.buffer.write(template_bytes(load_kind(kind_code), lang=lang))
    return 0


def _load_boundaries(session: Session, args: argparse.Namespace, data: bytes, file_name: str) -> int:
    outlines = read_boundaries(
        data, code_property=args.code_property, epsg=args.epsg, known_codes=division_codes(session)
    )
    session.rollback()
    report = load_boundaries(
        session, actor=COMMAND_LINE, outlines=outlines, file_name=file_name, write=not args.dry_run
    )
    if outlines.code_property:
        print(t("load.report.source_crs", crs=outlines.source_crs, field=outlines.code_property))
    for line in report_lines(report, dry_run=args.dry_run, every=args.all):
        print(line)
    return 2 if report.problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    lang = set_language(args.lang)
    if args.kind == "template":
        return _template(args.file, lang)
    kinds = (*KINDS, BOUNDARIES.code)
    if args.kind not in kinds:
        print(t("load.cli.unknown_kind", kind=args.kind, kinds=", ".join(kinds)), file=sys.stderr)
        return 2
    if args.kind != BOUNDARIES.code and (args.code_property or args.epsg):
        print(t("load.cli.boundaries_only"), file=sys.stderr)
        return 2
    path = Path(args.file)
    try:
        if path.stat().st_size > LOAD_MAX_BYTES:
            print(t("load.cli.too_big", max=LOAD_MAX_BYTES // 1024 // 1024), file=sys.stderr)
            return 2
        data = path.read_bytes()
    except OSError as exc:
        print(
            t("load.cli.unreadable", path=str(path), reason=exc.strerror or type(exc).__name__),
            file=sys.stderr,
        )
        return 2
    url = config.database_url()
    try:
        engine = make_engine(url)
        check_connection(engine)
        try:
            upgrade(engine)
        except (DatabaseError, SQLAlchemyError):
            raise
        except Exception as exc:  # a migration that cannot run here: one line, not a traceback
            print(t("load.cli.migration_failed", reason=str(exc).splitlines()[0][:200]), file=sys.stderr)
            return 1
        with Session(engine) as session:
            if args.kind == BOUNDARIES.code:
                return _load_boundaries(session, args, data, path.name)
            mapping = saved_mapping(session, args.kind)
            session.rollback()
            upload = read_file(data, args.kind, mapping=mapping)
            as_of = args.as_of or dt.date.today()
            if args.dry_run:
                report = check_load(session, actor=COMMAND_LINE, kind=args.kind, upload=upload, as_of=as_of)
            else:
                report = run_load(
                    session,
                    actor=COMMAND_LINE,
                    kind=args.kind,
                    upload=upload,
                    as_of=as_of,
                    file_name=path.name,
                    retire_missing=args.retire_missing,
                )
    except DatabaseError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"Error: {explain_failure(exc, url)}", file=sys.stderr)
        return 1
    for line in report_lines(report, dry_run=args.dry_run, every=args.all):
        print(line)
    return 2 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
