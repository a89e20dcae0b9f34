"""Runs a Supervisor with two children, prints READY, then waits to be killed (SIGKILL or SIGTERM).
Usage: stack_owner.py RUN_DIR"""

import sys
import time
from pathlib import Path

from harness.stack.process import ProcessSpec
from harness.stack.supervisor import Supervisor

CHILD = str(Path(__file__).with_name("stack_child.py"))


def main() -> None:
    run_dir = Path(sys.argv[1])
    sup = Supervisor(run_dir)
    for name in ("alpha", "beta"):
        sup.start(ProcessSpec(name, (sys.executable, CHILD, str(run_dir / f"{name}.grandchild"))))
    print("READY", flush=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.1)


if __name__ == "__main__":
    main()
