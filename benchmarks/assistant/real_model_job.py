"""Time of CI's real-model job: installing the engine and the model, then the test.

    .venv/bin/python benchmarks/assistant/real_model_job.py

Runs ``scripts/install-real-model`` (a first run builds llama-cpp-python from source; later runs
install the wheel cached in ~/.cache/circo-wheels) and ``tests/assistant/test_real_model.py``
with ``CIRCO_REAL_MODEL=1`` (so a missing engine fails), and prints the wall time of each step
and the test's own timings line (server load, ask, rebut, studio; points kept and dropped).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str, int]:
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.monotonic() - started, done.stdout + done.stderr, done.returncode


def main() -> int:
    env = {**os.environ, "CIRCO_REAL_MODEL": "1"}
    install_seconds, install_log, code = timed(["bash", "scripts/install-real-model"], env)
    print(f"install-real-model: {install_seconds:.1f} s (exit {code})")
    if code:
        print(install_log[-2000:])
        return code
    test = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s",
        "tests/assistant/test_real_model.py",
    ]  # fmt: skip
    test_seconds, test_log, code = timed(test, env)
    print(f"test_real_model: {test_seconds:.1f} s (exit {code})")
    for line in test_log.splitlines():
        if line.startswith("real model:") or " passed" in line or " failed" in line:
            print("  " + line.strip())
    return code


if __name__ == "__main__":
    raise SystemExit(main())
