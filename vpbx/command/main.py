"""The `vpbx` command: configuration as code (../shared/CONFIG-FORMAT.md is its contract).

    vpbx apply FILE.yaml        create or update a platform or tenant file's content
    vpbx export TENANT          print a tenant as a tenant file
    vpbx export --platform      print the platform file (carrier, numbers assigned to tenants)
    vpbx delete TENANT --yes    remove a tenant and everything it owns
    vpbx simulate TENANT NUMBER [--at ISO-DATETIME|now] [--json] [--live]
                                what a call to NUMBER would do at that moment
    vpbx migrate                apply pending schema migrations
"""
import argparse
import json
import logging
import sys

from vpbx.command import simulate
from vpbx.engine import call_plan
from vpbx.live import state as live_state
from vpbx.provisioning import apply
from vpbx.settings import platform
from vpbx.storage import connection, migrations


def cmd_migrate(args) -> int:
    conn = connection.connect(platform.load())
    for name in migrations.migrate(conn):
        print(f"applied migration {name}")
    return 0


def cmd_apply(args) -> int:
    conn = connection.connect(platform.load(), autocommit=False)
    result = apply.apply_file(conn, args.file)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.problems:
        return 1
    for change in result.changes or ["nothing changed"]:
        print(change)
    return 0


def cmd_export(args) -> int:
    conn = connection.connect(platform.load())
    if args.platform or args.tenant is None:
        if args.tenant is not None or not args.platform:
            print("vpbx export: give either TENANT or --platform", file=sys.stderr)
            return 2
        sys.stdout.write(apply.export_platform(conn))
        return 0
    text = apply.export_tenant(conn, args.tenant)
    if text is None:
        print(f"vpbx: no tenant named {args.tenant!r}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


def cmd_delete(args) -> int:
    if not args.yes:
        print("vpbx delete: add --yes to remove the tenant and everything it owns",
              file=sys.stderr)
        return 2
    cfg = platform.load()
    conn = connection.connect(cfg, autocommit=False)
    if not apply.delete_tenant(conn, args.tenant, data_dir=cfg.data_dir,
                               log=logging.getLogger("vpbx.delete")):
        print(f"vpbx: no tenant named {args.tenant!r}", file=sys.stderr)
        return 1
    print(f"tenant {args.tenant}: deleted")
    return 0


def cmd_simulate(args) -> int:
    cfg = platform.load()
    conn = connection.connect(cfg)
    try:
        plan = simulate.simulate(conn, args.tenant, args.number, args.at,
                                 live_cfg=cfg if args.live else None)
    except simulate.SimulateError as exc:
        print(f"vpbx simulate: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(plan.as_dict(), indent=2, ensure_ascii=False) if args.json
          else call_plan.describe(plan))
    return 0


def cmd_bans(args) -> int:
    """The SIP edge's bans now (password guessers, floods), read from the running Kamailio."""
    try:
        found = live_state.bans(platform.load())
    except live_state.LiveStateUnavailable as exc:
        print(f"vpbx bans: {exc}", file=sys.stderr)
        return 1
    for kind, key, value in found:
        print(f"{kind}\t{key}" + (f"\t{value} failures" if kind == "password" else ""))
    if not found:
        print("no bans")
    return 0


def cmd_unban(args) -> int:
    """Lift every ban of an address at the SIP edge."""
    try:
        lifted = live_state.lift_bans(platform.load(), args.address)
    except live_state.LiveStateUnavailable as exc:
        print(f"vpbx unban: {exc}", file=sys.stderr)
        return 1
    if not lifted:
        print(f"vpbx unban: no ban of {args.address}", file=sys.stderr)
        return 1
    for kind, key, _value in lifted:
        print(f"lifted {kind}\t{key}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vpbx", description="Virtual PBX configuration as code")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply pending schema migrations").set_defaults(func=cmd_migrate)
    p = sub.add_parser("apply", help="create or update what a platform or tenant file describes")
    p.add_argument("file")
    p.set_defaults(func=cmd_apply)
    p = sub.add_parser("export", help="print a tenant as a tenant file (or --platform: the "
                                      "platform file)")
    p.add_argument("tenant", nargs="?")
    p.add_argument("--platform", action="store_true",
                   help="print the platform file: the carrier and the numbers assigned to "
                        "tenants")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("delete", help="remove a tenant and everything it owns")
    p.add_argument("tenant")
    p.add_argument("--yes", action="store_true", help="confirm")
    p.set_defaults(func=cmd_delete)
    p = sub.add_parser("simulate", help="what a call to NUMBER would do at a given moment")
    p.add_argument("tenant")
    p.add_argument("number", help="a global number, or a group's short number")
    p.add_argument("--at", default="now",
                   help="now (the default) or an ISO date-time; tenant's zone unless it has an offset")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--live", action="store_true",
                   help="use the members' real registration and call state")
    p.set_defaults(func=cmd_simulate)
    sub.add_parser("bans", help="the SIP edge's bans now (password guessers, floods)"
                   ).set_defaults(func=cmd_bans)
    p = sub.add_parser("unban", help="lift every ban of an address at the SIP edge")
    p.add_argument("address")
    p.set_defaults(func=cmd_unban)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, platform.ConfigError) as exc:
        print(f"vpbx: {exc}", file=sys.stderr)
        return 1
    except connection.pymysql.err.OperationalError as exc:
        print(f"vpbx: database unavailable: {exc.args[-1]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
