"""Wait until URL answers 200, at most SECONDS: `wait_http.py URL SECONDS`."""

import sys
import time
import urllib.error
import urllib.request


def wait(url, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


if __name__ == "__main__":
    sys.exit(0 if wait(sys.argv[1], float(sys.argv[2])) else 1)
