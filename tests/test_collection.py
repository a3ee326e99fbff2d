"""Collecting the suite is quiet and leaves nothing behind: no rule-coverage verdict, no report file."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_collect_only_is_quiet_and_writes_nothing(tmp_path):
    report = tmp_path / "coverage.json"
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           f"--kaohe-rule-coverage-json={report}", "tests/bdd/test_features.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tests collected" in done.stdout
    assert "rule coverage" not in done.stdout and "warning" not in done.stdout.lower(), done.stdout
    assert not report.exists()
