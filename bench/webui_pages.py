"""Benchmark of the web UI on a big tenant: 1,000 users and 100 groups (10 members each),
20 global numbers. Prints the median time of each page and of a save (which checks the
whole tenant through the provisioning rules). Runs on a throwaway database of its own.

    python -m bench.webui_pages [--users 1000] [--groups 100] [--runs 5]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import yaml

from tests.support import instance
from tests.webui.conftest import english_client, sign_in_as
from vpbx.provisioning.apply import apply_file
from vpbx.settings import platform
from vpbx.storage import connection
from webui import accounts
from webui.app import create_app

PAGES = ("/users/", "/groups/", "/numbers/", "/time-ranges/", "/monitor/", "/monitor/state",
         "/monitor/print", "/groups/new", "/preview/?number=%2B41310000000&date=2027-03-24"
                                          "&time=09:00")


def big_tenant(users: int, groups: int, numbers: int = 20) -> dict:
    """A tenant file with `users` users, `groups` groups of 10 members and `numbers` numbers."""
    return {
        "tenant": "big", "name": "Big Corp", "domain": "big.pbx.test",
        "users": [{"extension": str(10000 + i), "name": f"User {i}", "username": f"u{i}",
                   "password": f"password-{i}", "direct_number": f"+4131{200000 + i:07d}"}
                  for i in range(users)],
        "time_ranges": [{"name": "Office hours", "days": ["mon", "tue", "wed", "thu", "fri"],
                         "periods": ["08:00-12:00", "13:00-17:00"]},
                        {"name": "Saturday", "days": ["sat"], "periods": ["09:00-12:00"]}],
        "holidays": [{"name": f"Holiday {i}", "date": f"2027-{1 + i // 28:02d}-{1 + i % 28:02d}"}
                     for i in range(20)],
        "groups": [{"name": f"Group {g}", "short_number": 200 + g, "distribution": "cyclic",
                    "rings": 2, "cycles": 2,
                    "members": [str(10000 + (g * 10 + m) % users) for m in range(10)],
                    "no_answer": {"group": f"Group {g + 1}"} if g + 1 < groups else "hangup"}
                   for g in range(groups)],
        "numbers": [{"number": f"+4131{n:07d}", "label": f"Line {n}",
                     "routes": [{"range": "Office hours", "to": {"group": f"Group {n}"}},
                                {"range": "Saturday", "to": {"group": f"Group {n + 1}"}}],
                     "outside_hours": {"voicemail": f"+4131{n:07d}"}}
                    for n in range(numbers)],
    }


def _median_ms(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webui_pages")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    base = platform.load()
    name = instance.create_database(base)
    try:
        with tempfile.TemporaryDirectory() as folder:
            cfg = instance.write_instance_config(base, folder, name)
            path = os.path.join(folder, "big.yaml")
            with open(path, "w", encoding="utf-8") as handle:
                yaml.safe_dump(big_tenant(args.users, args.groups), handle)
            platform_path = os.path.join(folder, "platform.yaml")
            with open(platform_path, "w", encoding="utf-8") as handle:    # its numbers
                yaml.safe_dump({"platform": {"numbers": {"big": ["+4131*"]}}}, handle)
            conn = connection.connect(cfg)
            assert not apply_file(conn, platform_path).problems
            started = time.perf_counter()
            result = apply_file(conn, path)
            assert not result.problems, result.problems[:5]
            print(f"provisioned {args.users} users, {args.groups} groups in "
                  f"{time.perf_counter() - started:.1f} s")
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM tenants WHERE slug = 'big'")
                tenant_id = cur.fetchone()["id"]
            admin = accounts.create_account(conn, "bench@big", "bench password 1",
                                            tenant_id=tenant_id, language="en")
            app = create_app(cfg, {"ASK_KAMAILIO": False})
            client = english_client(app)
            sign_in_as(app, client, admin)
            print(f"{'page':<60} {'median ms':>10} {'KiB':>8}")
            for page in PAGES:
                response = client.get(page)
                assert response.status_code == 200, (page, response.status_code)
                ms = _median_ms(lambda: client.get(page), args.runs)
                print(f"{page:<60} {ms:>10.1f} {len(response.data) / 1024:>8.0f}")
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM call_groups WHERE tenant_id = %s AND name = 'Group 5'",
                            (tenant_id,))
                group_id = cur.fetchone()["id"]
            form = {"csrf_token": "test-csrf-token", "name": "Group 5", "short_number": "205",
                    "distribution": "cyclic", "rings": "3", "cycles": "2",
                    "members": ", ".join(str(10000 + 50 + m) for m in range(10)),
                    "no_answer": "group:Group 6"}
            ms = _median_ms(lambda: client.post(f"/groups/{group_id}", data=form), args.runs)
            print(f"{'save a group (whole tenant checked, nothing to change)':<60} {ms:>10.1f}")
            conn.close()
    finally:
        instance.drop_database(base, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
