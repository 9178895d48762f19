#!/usr/bin/env python3
"""The two commands of the README, each bootstrapping what it needs from plain python3.

    python3 dev.py serve     # the hub on the embedded default, demo content offered
    python3 dev.py test      # ruff, mypy and the whole test suite (embedded, then services)

The virtual environment lives in .venv and is refreshed when pyproject.toml
changes; message catalogs are compiled here, never committed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
PYTHON = BIN / "python"


def run(*command: str | Path, env: dict[str, str] | None = None, check: bool = True) -> int:
    print("+", " ".join(str(c) for c in command), flush=True)
    return subprocess.run([str(c) for c in command], cwd=ROOT, env=env, check=check).returncode


def bootstrap(extra: str) -> None:
    """Create .venv and install the project (with ``extra``) when pyproject.toml changed."""
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, upgrade_deps=False).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".stamp-{extra or 'base'}-{digest}"
    if not stamp.exists():
        target = f".[{extra}]" if extra else "."
        run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "-e", target)
        stamp.touch()
    run(PYTHON, "-c", "from advocacy.i18n import compile_catalogs; compile_catalogs()")


def advocacy_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def has_accounts(env: dict[str, str]) -> bool:
    probe = ("from advocacy import create_app; from advocacy.database import session;"
             "from advocacy.accounts.models import User; from sqlalchemy import select;"
             "app = create_app(); ctx = app.app_context(); ctx.push();"
             "print(session.scalar(select(User.id).limit(1)) is not None)")
    out = subprocess.run([str(PYTHON), "-c", probe], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip().endswith("True")


def serve(args: argparse.Namespace) -> None:
    bootstrap("")
    env = advocacy_env()
    run(BIN / "advocacy", "db", "upgrade", env=env)
    if not args.no_demo and not has_accounts(env):
        answer = "y"
        if sys.stdin.isatty():
            answer = input("The hub is empty. Load the demo organisation? [Y/n] ").strip() or "y"
        if answer.lower().startswith("y"):
            run(BIN / "advocacy", "demo", env=env)
        else:
            print("Create your first admin with:"
                  " .venv/bin/advocacy users create EMAIL --role admin")
    print(f"\nThe hub runs at http://{args.host}:{args.port}/  (Ctrl+C stops it)\n", flush=True)
    # Background work (e.g. archiving expired stories) runs beside the web server; Ctrl+C
    # reaches both, as they share the terminal's process group.
    subprocess.Popen([str(BIN / "advocacy"), "worker", "--workers", "1"], env=env)
    os.execve(str(BIN / "advocacy"),  # noqa: S606  (our own console script, fixed arguments)
              [str(BIN / "advocacy"), "run", "--host", args.host, "--port", str(args.port)], env)


def test(args: argparse.Namespace) -> None:
    bootstrap("dev")
    env = advocacy_env()
    run(BIN / "ruff", "check", "advocacy", "tests", "bench", "dev.py", "wsgi.py", env=env)
    run(BIN / "mypy", env=env)
    pytest = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", *args.pytest_args]
    print("\n== Embedded default: SQLite + local uploads ==", flush=True)
    run(*pytest, env={**env, "ADVOCACY_TEST_BACKEND": "embedded"})
    if not args.embedded_only:
        print("\n== Real services: PostgreSQL + SeaweedFS (S3) + Redis ==", flush=True)
        run(*pytest, env={**env, "ADVOCACY_TEST_BACKEND": "services"})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command and its options; for ``test``, ``pytest_args`` is everything else."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the hub on the embedded default")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=5000)
    serve_parser.add_argument("--no-demo", action="store_true", help="do not offer demo content")
    # Anything test does not know goes to pytest, options included ("-k story"): argparse's
    # REMAINDER refuses options after ours. No abbreviations, so that a pytest
    # option is never mistaken for a shortened one of ours.
    test_parser = commands.add_parser(
        "test", allow_abbrev=False, usage="%(prog)s [--embedded-only] [pytest arguments ...]",
        help="run ruff, mypy and the whole test suite; other arguments go to pytest")
    test_parser.add_argument("--embedded-only", action="store_true",
                             help="skip the second pass on real services")
    args, rest = parser.parse_known_args(argv)
    if args.command != "test" and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.pytest_args = rest[1:] if rest[:1] == ["--"] else rest
    return args


def main() -> None:
    args = parse_args()
    try:
        {"serve": serve, "test": test}[args.command](args)
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
