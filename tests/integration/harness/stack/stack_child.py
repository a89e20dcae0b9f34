"""A small real server for supervisor tests: forks a grandchild into its process group, serves
/healthz on 127.0.0.1:0 and prints LISTENING. Usage: stack_child.py PIDFILE [--no-health]."""

import http.server
import subprocess
import sys
from pathlib import Path


class Handler(http.server.BaseHTTPRequestHandler):
    healthy = True

    def do_GET(self):  # noqa: N802
        ok = self.path == "/healthz" and self.healthy
        self.send_response(200 if ok else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path(sys.argv[1]).write_text(str(grandchild.pid))
    Handler.healthy = "--no-health" not in sys.argv
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(f"LISTENING http://127.0.0.1:{server.server_port}", flush=True)
    print("some other output", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
