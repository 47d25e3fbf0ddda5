"""`make bench-data` at a thousandth of its size: the seeding copies real rows into a
fresh SQLite database, every timed page answers 200 for both accounts, and the
report names every call with its verdict (docs/benchmarks.md, "Big accounts")."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench/bench_data.py"

pytestmark = pytest.mark.e2e


def test_the_worker_seeds_the_big_account_and_times_every_page(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_data

    env = {**bench_data.base_env(), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--worker", "--scale", "0.0002", "--runs", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["database"] == "sqlite"
    # Counted in the database after seeding: the real render's rows plus the copies.
    assert result["rows"]["images"] == 1 + 200
    assert result["rows"]["request-log rows"] >= 1000
    assert result["rows"]["ledger rows"] >= 200
    assert result["rows"]["webhook deliveries"] >= 200
    assert result["rows"]["days of usage rollups"] == 1 + 1  # today's, from the real render, and one copy
    names = [call["name"] for call in result["calls"]]
    for expected in ["GET /api/v1/images", "GET /api/v1/usage", "/dashboard/usage", "/dashboard/images"]:
        assert expected in names
    assert all(call["small_ms"] > 0 and call["big_ms"] > 0 for call in result["calls"])

    report = bench_data.render_report(
        bench_data.datetime.now(bench_data.UTC), type("Args", (), {"runs": 1})(), [result]
    )
    assert "| `GET /api/v1/images` |" in report
    assert report.count("| ok |") + report.count("| **over** |") == len(names)
