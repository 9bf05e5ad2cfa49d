"""The local AWS stand-in for shiftguard's tests and demo: moto's server plus what moto 5.2.5
lacks or does differently from AWS in the ways shiftguard depends on.

The patches live in the package `standin/` next to this file, one module per AWS behaviour, each
citing the AWS page or API model it follows; standin/__init__.py lists them, and standin/tests/
tests them (`make standin-test`). The /_shiftguard/ views and controls the Rust tests use are in
standin/control.py, the faults they inject described in standin/faults.py.

Usage: python launcher.py [--port N]. Prints "READY http://127.0.0.1:N" once serving, and
exits when its standard input closes (so it never outlives the test run that started it),
unless --no-stdin-watch is given. tests/src/local_aws.rs starts it so for the Rust tests.
"""

import argparse
import os
import sys
import threading

from standin import app, sandboxes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-stdin-watch", action="store_true")
    args = parser.parse_args()
    server = app.serve(args.port)
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    if args.no_stdin_watch:
        threading.Event().wait()
    else:
        while sys.stdin.buffer.read(65536):
            pass
    sandboxes.stop_all()
    os._exit(0)


if __name__ == "__main__":
    main()
