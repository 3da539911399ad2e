"""The ``movi`` command line: ``db init``, ``demo``, ``parse``, ``chat``, ``watch``, ``events``.

Each subcommand is a small function of its parsed arguments; everything it does lives in the
library, so the command line and the Python API cannot drift apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time as clock
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from movi.errors import MoviError

DEMO_DB_URL = "sqlite+aiosqlite:///movi.db"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-28") from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


async def _db_init(args: argparse.Namespace) -> int:
    from movi.store import create_schema, database_url, drop_schema, make_engine
    from movi.store.demo import DemoSpec, build_demo, describe

    url = database_url(args.db)
    engine = make_engine(url)
    try:
        if args.reset:
            await drop_schema(engine)
        version = await create_schema(engine)
        print(f"schema version {version} ready in {url}")
        if args.demo:
            spec = DemoSpec(trips=args.trips, seed=args.seed, today=args.today or date.today())
            summary = await build_demo(engine, spec)
            print(describe(summary))
    finally:
        await engine.dispose()
    return 0


async def _demo(args: argparse.Namespace) -> int:
    from movi.demo import play

    await play(args.db, today=args.today or date.today())
    return 0


def _parse(args: argparse.Namespace) -> int:
    from movi.parser import parse

    if args.jsonl:
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            print(json.dumps(_parse_line(line, number, args), ensure_ascii=False), flush=True)
        return 0
    if args.text is None:
        print("movi parse: give the command text, or --jsonl to read JSON lines", file=sys.stderr)
        return 2
    intent = parse(args.text, page=args.page, today=args.today)
    print(json.dumps(intent.to_json(), ensure_ascii=False))
    return 0


def _parse_line(line: str, number: int, args: argparse.Namespace) -> dict[str, object]:
    """One JSON line in, one intent out; a bad line answers ``unknown`` with the reason."""
    from movi.parser import parse

    try:
        item = json.loads(line)
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError('expected an object with a "text" string')
        today = date.fromisoformat(item["today"]) if item.get("today") else args.today
        selected = item.get("selected_trip_id")
        intent = parse(
            item["text"],
            page=item.get("page") or args.page,
            today=today,
            selected_trip_id=selected if isinstance(selected, int) else None,
        )
    except ValueError as exc:
        return {
            "action": "unknown",
            "slots": {},
            "confidence": 0.0,
            "source": "rules",
            "error": f"line {number}: {exc}",
        }
    return intent.to_json()


DEFAULT_DATASET = "benchmarks/data/commands_test.jsonl"


def _bench(args: argparse.Namespace) -> int:
    from movi.bench import BenchOptions, calibrate, render, run_modes, to_json, write_report

    options = BenchOptions(llm=_bench_llm(args), threshold=args.threshold)
    if args.calibrate:
        from movi.bench.calibrate import DEV_SPLIT

        dataset = args.dataset or DEV_SPLIT
        if Path(dataset).name == Path(DEFAULT_DATASET).name:
            print(
                "movi: warning: calibrating on the frozen test split; tune on the dev split",
                file=sys.stderr,
            )
        found = calibrate(dataset, options=options, max_share=args.max_share)
        print(found.model_dump_json(indent=2) if args.json else found.advice())
        return 0
    run = run_modes(
        args.dataset or DEFAULT_DATASET,
        modes=[args.mode],
        options=options,
        show_progress=not args.json,
    )
    if args.json:
        print(to_json(run.reports))
    else:
        print(render(run.reports, skipped=run.skipped))
    if args.json:
        for name, why in run.skipped.items():
            print(f"movi: skipped {name}: {why}", file=sys.stderr)
    if args.report:
        written = write_report(run, args.report)
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
        if len(written) == 1:
            print(
                "movi: no chart: matplotlib is not installed (pip install 'movi[report]')",
                file=sys.stderr,
            )
    if args.errors:
        for report in run.reports:
            for error in report.errors:
                print(
                    json.dumps({"mode": report.mode, **error}, ensure_ascii=False), file=sys.stderr
                )
    return 0


def _bench_llm(args: argparse.Namespace) -> Any:
    """``LLMConfig.from_env()`` with the --model/--api-base/--api-key options on top."""
    from movi.errors import ConfigError
    from movi.llm import LLMConfig

    config = LLMConfig.from_env()
    overrides = {
        name: value
        for name, value in (
            ("model", args.model),
            ("api_base", args.api_base),
            ("api_key", args.api_key),
        )
        if value
    }
    if not overrides:
        return config
    if config is None and "model" not in overrides:
        raise ConfigError("--api-base and --api-key need a model: pass --model or MOVI_LLM_MODEL")
    settings = {**(config.model_dump() if config else {}), **overrides}
    return LLMConfig(**settings)


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 0 to 1")
    return share


async def _chat(args: argparse.Namespace) -> int:
    from movi.engine import Movi

    movi = await Movi.open(args.db, today=args.today, role=args.role)
    try:
        if args.script is not None:
            return await _chat_script(movi, args)
        return await _chat_repl(movi, args)
    finally:
        await movi.close()


async def _chat_script(movi: Any, args: argparse.Namespace) -> int:
    """JSON lines in, one JSON reply per line out; a bad line answers with an error reply."""
    if args.script == "-":
        lines = await asyncio.to_thread(sys.stdin.read)
    else:
        lines = await asyncio.to_thread(Path(args.script).read_text, encoding="utf-8")
    for number, line in enumerate(lines.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object with a "text" string')
        except ValueError as exc:
            out: dict[str, Any] = {"status": "rejected", "message": f"line {number}: {exc}"}
            item = {}
        else:
            selected = item.get("selected_trip_id")
            reply = await movi.handle(
                item["text"],
                page=item.get("page") or args.page,
                session_id=args.session,
                user_id=args.user,
                selected_trip_id=selected if isinstance(selected, int) else None,
            )
            out = reply.model_dump(mode="json", exclude=None if args.trace else {"trace"})
        if args.json:
            print(json.dumps(out, ensure_ascii=False), flush=True)
        else:
            print(f"> {item.get('text', line.strip())}")
            print(f"[{out['status']}] {out['message']}\n", flush=True)
    return 0


async def _chat_repl(movi: Any, args: argparse.Namespace) -> int:
    page, session, selected = args.page, args.session, None
    print(
        f"movi chat — page {page}, session {session}, role {args.role}. "
        "Commands: :page NAME, :select TRIP_ID, :session ID, :quit"
    )
    while True:
        try:
            line = await asyncio.to_thread(input, f"{page}> ")
        except EOFError:
            return 0
        line = line.strip()
        if not line:
            continue
        if line.startswith(":"):
            command, _, value = line[1:].partition(" ")
            if command in ("quit", "exit", "q"):
                return 0
            if command == "page" and value:
                page = value.strip()
            elif command == "select":
                selected = int(value) if value.strip().isdigit() else None
            elif command == "session" and value:
                session = value.strip()
            print(f"page {page}, session {session}, selected trip {selected}")
            continue
        reply = await movi.handle(
            line, page=page, session_id=session, user_id=args.user, selected_trip_id=selected
        )
        print(f"[{reply.status}] {reply.message}")


def _interval(value: str) -> float:
    from movi.departures import parse_interval

    try:
        return parse_interval(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a time like 2026-11-28T19:00 or 19:00"
        ) from None


async def _watch(args: argparse.Namespace) -> int:
    """Check departures every ``--every``; print each new warning; Ctrl-C ends it cleanly."""
    from movi.engine import Movi

    movi = await Movi.open(args.db, llm=False)
    started, wall_started = datetime.now(UTC), clock.monotonic()
    try:
        while True:
            now = datetime.now(UTC)
            if args.now is not None:  # a fixed clock (tests), moving on with real time
                now = args.now + timedelta(seconds=clock.monotonic() - wall_started)
            elif args.today is not None:
                now = datetime.combine(args.today, now.time(), tzinfo=UTC)
            for warning in await movi.check_departures(now):
                print(f"[{warning.kind}] {warning.message}", flush=True)
            if args.once:
                return 0
            await asyncio.sleep(args.every)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"movi watch: stopped after {datetime.now(UTC) - started}", file=sys.stderr)
        return 0
    finally:
        await movi.close()


async def _events(args: argparse.Namespace) -> int:
    """Print live events as JSON lines until Ctrl-C (or ``--count`` of them)."""
    from movi.engine import Movi
    from movi.events import Event

    movi = await Movi.open(args.db, llm=False)
    queue: asyncio.Queue[Event] = asyncio.Queue()
    try:
        await movi.subscribe(queue.put_nowait)
        print("movi events: listening", file=sys.stderr, flush=True)
        seen = 0
        while args.count is None or seen < args.count:
            event = await queue.get()
            print(event.model_dump_json(), flush=True)
            seen += 1
        return 0
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 0
    finally:
        await movi.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="movi",
        description="Shuttle-operations commands in plain words: parse, check, execute, report.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="create and fill the operations database")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    init = db_commands.add_parser(
        "init",
        help="create the schema (idempotent); with --demo, fill it with deterministic demo data",
        description=(
            "Create every movi table that is missing and record the schema version. With --demo, "
            "add a realistic Bangalore shuttle network: stops, paths, routes, vehicles, drivers, "
            "trips from yesterday on, bookings, and the hard cases on purpose. The same --seed "
            "and --today always give the same data."
        ),
    )
    init.add_argument("--db", metavar="URL", help="database URL (default: $MOVI_DB_URL or movi.db)")
    init.add_argument("--demo", action="store_true", help="add deterministic demo data")
    init.add_argument(
        "--trips",
        type=_positive,
        default=None,
        metavar="N",
        help="number of daily trips to generate (default: a small network of ~300 trips); "
        "vehicles and drivers scale with it (1,000,000 trips → ~10,000 vehicles)",
    )
    init.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    init.add_argument(
        "--today",
        type=_date,
        default=None,
        metavar="DATE",
        help="the day the data is built around, YYYY-MM-DD (default: today)",
    )
    init.add_argument(
        "--reset", action="store_true", help="drop every movi table first (destroys data)"
    )
    init.set_defaults(run=_db_init)

    demo = commands.add_parser(
        "demo",
        help="build the embedded SQLite demo database and play a scripted conversation",
        description=(
            "Rebuild the demo database (default movi.db) from scratch, summarise it, and play a "
            "short scripted conversation: a read, an assignment, a confirmation with booking "
            "numbers, a choice between options, a page refusal, a bulk preview, a stop created, "
            "a dry run and an undo."
        ),
    )
    demo.add_argument("--db", metavar="URL", default=DEMO_DB_URL, help=f"default {DEMO_DB_URL}")
    demo.add_argument("--today", type=_date, default=None, metavar="DATE", help="YYYY-MM-DD")
    demo.set_defaults(run=_demo)

    parse = commands.add_parser(
        "parse",
        help="print what a command means, as JSON (offline: rules, no database)",
        description=(
            "Parse one command with the rules and print "
            '{"action": ..., "slots": {...}, "confidence": 0-1, "source": "rules"}. '
            'With --jsonl, read JSON lines {"text": ..., "page": ...} from standard input and '
            "write one such object per line, in order; a bad line gets an unknown with an error."
        ),
    )
    parse.add_argument("text", nargs="?", help="the operator's command")
    parse.add_argument("--page", default=None, help="busDashboard or manageRoute (a hint)")
    parse.add_argument(
        "--today",
        type=_date,
        default=None,
        metavar="DATE",
        help="reference day for relative dates, YYYY-MM-DD (default: today)",
    )
    parse.add_argument(
        "--no-llm",
        action="store_true",
        help="rules only, even when an LLM is configured (MOVI_LLM_MODEL)",
    )
    parse.add_argument("--jsonl", action="store_true", help="read JSON lines on standard input")
    parse.set_defaults(run=_parse, sync=True)

    bench = commands.add_parser(
        "bench",
        help="measure understanding: accuracy, slot F1, latency, on a labelled dataset",
        description=(
            "Parse every line of a labelled JSON-lines dataset and report action accuracy, "
            "macro-F1, per-slot precision/recall/F1, exact match, unknown precision/recall, the "
            "most confused actions, latency percentiles and, for modes that ask an LLM, calls "
            "per 100 commands, tokens and estimated cost, mode by mode side by side. Relative "
            "dates are read against 2026-11-28, the day the datasets were labelled."
        ),
    )
    bench.add_argument(
        "--dataset",
        default=None,
        metavar="FILE",
        help=(
            f"JSON lines (default {DEFAULT_DATASET}: the frozen test split; with --calibrate "
            "benchmarks/data/commands_dev.jsonl)"
        ),
    )
    bench.add_argument(
        "--mode",
        default="rules",
        help=(
            "what understands the commands: rules (the offline grammar), llm (every command to "
            "the LLM), hybrid (rules first, the LLM below the threshold), any registered peer "
            "(e.g. embed), or all (every mode available here)"
        ),
    )
    bench.add_argument("--json", action="store_true", help="machine-readable output")
    bench.add_argument(
        "--errors",
        action="store_true",
        help="also write every wrong line as JSON to standard error",
    )
    bench.add_argument(
        "--report",
        metavar="DIR",
        help="write DIR/report.md and DIR/accuracy_latency.png (the chart needs movi[report])",
    )
    bench.add_argument(
        "--calibrate",
        action="store_true",
        help=(
            "choose the hybrid threshold with the best exact match that sends at most "
            "--max-share of the commands to the LLM, and print it"
        ),
    )
    bench.add_argument(
        "--max-share",
        type=_share,
        default=0.05,
        metavar="S",
        help="LLM budget for --calibrate: share of commands sent (default 0.05)",
    )
    bench.add_argument("--model", help="litellm model string (default: $MOVI_LLM_MODEL)")
    bench.add_argument("--api-base", metavar="URL", help="default: $MOVI_LLM_API_BASE")
    bench.add_argument("--api-key", metavar="KEY", help="default: $MOVI_LLM_API_KEY")
    bench.add_argument(
        "--threshold",
        type=_share,
        default=None,
        metavar="T",
        help="hybrid: ask the LLM below this rules confidence ($MOVI_LLM_THRESHOLD, or 0.6)",
    )
    bench.set_defaults(run=_bench, sync=True)

    chat = commands.add_parser(
        "chat",
        help="talk to movi: an interactive session, or a script of JSON lines",
        description=(
            "An interactive session on the operations database (:page NAME, :select TRIP_ID, "
            ":session ID switch context). With --script FILE (or - for standard input), read "
            'JSON lines {"text", "page"?, "selected_trip_id"?} and print one reply per line '
            "(--json for JSON). The same --session in a later process continues that "
            "conversation, its pending confirmation included."
        ),
    )
    chat.add_argument("--db", metavar="URL", help="database URL (default: $MOVI_DB_URL or movi.db)")
    chat.add_argument("--page", default="busDashboard", help="busDashboard or manageRoute")
    chat.add_argument("--session", default="cli", metavar="ID", help="conversation id")
    chat.add_argument("--user", default="cli-user", metavar="U", help="user id for the audit log")
    chat.add_argument(
        "--role",
        default="admin",
        metavar="R",
        help="viewer, operator, planner or admin (default admin)",
    )
    chat.add_argument("--today", type=_date, default=None, metavar="DATE", help="YYYY-MM-DD")
    chat.add_argument("--script", metavar="FILE", help="JSON lines to play (- for stdin)")
    chat.add_argument("--json", action="store_true", help="print each reply as JSON")
    chat.add_argument("--trace", action="store_true", help="include each reply's trace")
    chat.set_defaults(run=_chat)

    watch = commands.add_parser(
        "watch",
        help="warn about trips departing within 30 minutes without a vehicle or a driver",
        description=(
            "Every --every (30s, 5m, 1h), write a notification for each live trip departing "
            "within 30 minutes that lacks a vehicle or a driver, and print it. Each warning is "
            "written once per trip and kind, even with several watchers on one database. "
            "Ctrl-C stops it."
        ),
    )
    watch.add_argument(
        "--db", metavar="URL", help="database URL (default: $MOVI_DB_URL or movi.db)"
    )
    watch.add_argument(
        "--every", type=_interval, default=300.0, metavar="INTERVAL", help="default 5m"
    )
    watch.add_argument("--once", action="store_true", help="check once and exit")
    watch.add_argument(
        "--today", type=_date, default=None, metavar="DATE", help="YYYY-MM-DD (today's clock)"
    )
    watch.add_argument(
        "--now",
        type=_moment,
        default=None,
        metavar="TIME",
        help="start the clock at this moment, e.g. 2026-11-28T19:00 (tests)",
    )
    watch.set_defaults(run=_watch)

    events = commands.add_parser(
        "events",
        help="print live events (trip changes, departure warnings) as JSON lines",
        description=(
            "Subscribe to the database's live events and print each as a JSON line: "
            "trip_updated after every committed change to a trip, notification for every "
            "departure warning. On PostgreSQL this hears every process using the database "
            "(LISTEN/NOTIFY); on SQLite only changes made in this process, so it is of use "
            "there only to library users. Ctrl-C stops it."
        ),
    )
    events.add_argument(
        "--db", metavar="URL", help="database URL (default: $MOVI_DB_URL or movi.db)"
    )
    events.add_argument("--count", type=int, default=None, metavar="N", help="exit after N events")
    events.set_defaults(run=_events)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "sync", False):
            code: int = args.run(args)
        else:
            code = asyncio.run(args.run(args))
    except MoviError as exc:
        print(f"movi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
