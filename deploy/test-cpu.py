#!/usr/bin/env python3
"""Where a build tree's test suite spends its CPU: runs every test ctest
knows (fixture set-ups first, clean-ups last, as ctest orders them) and
prints the user + system CPU of each, children included, largest first.

    deploy/test-cpu.py BUILD_DIR [--jobs N] [--top N]

The suites in the test command keep both cores busy, so their wall time
follows their CPU: this is the list to shorten. CPU comes from wait4() on
each test's process, which counts the children it waited for (identityd,
identityctl, SDK clients); daemons a test leaves running (the shared etcd
cluster) are not counted. Run it on an idle machine. Tests run N at a
time in ctest's listing order, not ctest's schedule, so a test sensitive
to its neighbours can fail here (one did once in two runs of the gcc
suite): it is named on stderr and still counted.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def load_tests(build_dir):
    listing = json.loads(subprocess.check_output(
        ["ctest", "--show-only=json-v1"], cwd=build_dir))
    tests = []
    for test in listing["tests"]:
        if "command" not in test:
            continue
        properties = {p["name"]: p["value"]
                      for p in test.get("properties", [])}
        env = dict(os.environ)
        for assignment in properties.get("ENVIRONMENT", []):
            name, value = assignment.split("=", 1)
            env[name] = value
        tests.append({
            "name": test["name"].split("  # ")[0],
            "command": test["command"],
            "cwd": properties.get("WORKING_DIRECTORY", build_dir),
            "env": env,
            "setup": bool(properties.get("FIXTURES_SETUP")),
            "cleanup": bool(properties.get("FIXTURES_CLEANUP")),
        })
    return tests


def run(test):
    start = time.monotonic()
    process = subprocess.Popen(test["command"], cwd=test["cwd"],
                               env=test["env"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return (usage.ru_utime + usage.ru_stime, time.monotonic() - start,
            os.waitstatus_to_exitcode(status), test["name"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    tests = load_tests(os.path.abspath(args.build_dir))
    setups = [t for t in tests if t["setup"]]
    cleanups = [t for t in tests if t["cleanup"]]
    rest = [t for t in tests if not t["setup"] and not t["cleanup"]]
    results = [run(t) for t in setups]
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            results += list(pool.map(run, rest))
    finally:
        results += [run(t) for t in cleanups]
    results.sort(reverse=True)
    print("%d tests, %.0f s of CPU, %.0f s of wall time summed" %
          (len(results), sum(r[0] for r in results),
           sum(r[1] for r in results)))
    print("%8s %8s %6s  %s" % ("cpu s", "wall s", "exit", "test"))
    for cpu, wall, code, name in results[:args.top]:
        print("%8.1f %8.1f %6d  %s" % (cpu, wall, code, name))
    failed = [r for r in results if r[2] != 0]
    for cpu, wall, code, name in failed:
        print("exited %d here: %s" % (code, name), file=sys.stderr)


if __name__ == "__main__":
    main()
