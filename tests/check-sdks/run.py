"""The `check` differential test: each case of the corpus (gen.py) through the real SDKs (the
drivers in go/, python/ and rust/, one process each for the whole corpus, run side by side) and
through `processcreds check`; every SDK's verdict must be the one `check` gives for it, and
check's "processcreds:" line must say what `processcreds get` (the library) really does.

    python3 run.py --dir DIR --processcreds BIN --go BIN --python PY --rust BIN

A disagreement prints the case, the SDK, both verdicts and the case's output file. The last line
is "N passed, N failed" (one check per case and SDK). `--keep` leaves DIR in place.
"""

import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SDKS = ["aws-sdk-go v1", "aws-sdk-go-v2", "botocore", "aws-sdk-rust"]


def drive(argv: list, cases: str, env: dict) -> subprocess.Popen:
    with open(cases, "rb") as stdin:
        return subprocess.Popen(
            argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )


def check(pc: str, helper: str, env: dict) -> dict:
    """`processcreds check -- helper`: {sdk: "accepts" | "rejects: …"} from its lines, and under
    "library" what `processcreds get -- helper` does."""
    got = subprocess.run(
        [pc, "get", "--", helper],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    library = "accepts" if got.returncode == 0 else "rejects: " + got.stderr.decode(
        "utf-8", "replace").strip().replace("\n", " ")
    out = subprocess.run(
        [pc, "check", "--", helper],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    ).stdout.decode("utf-8", "replace")
    said = {}
    for line in out.split("\n"):
        for sdk in SDKS + ["processcreds"]:
            if line.startswith(sdk + ": ") and sdk not in said:
                v = line[len(sdk) + 2 :]
                said[sdk] = "accepts" if v.startswith("accept") else v
    said["library"] = library
    return said


def main() -> int:
    ap = argparse.ArgumentParser()
    for opt in ["dir", "processcreds", "go", "python", "rust"]:
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    start = time.monotonic()
    d = os.path.abspath(args.dir)
    shutil.rmtree(d, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), d], check=True)
    cases_tsv = os.path.join(d, "cases.tsv")
    names = [line.split("\t")[0] for line in open(cases_tsv) if line.strip()]
    # No AWS settings of this environment reach the SDKs; a home of their own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = d
    drivers = [
        drive([args.go], cases_tsv, env),
        drive([args.python, os.path.join(HERE, "python", "driver.py")], cases_tsv, env),
        drive([args.rust], cases_tsv, env),
    ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        said = dict(
            zip(names, pool.map(lambda n: check(args.processcreds, os.path.join(d, n + ".sh"), env), names))
        )
    real = {}
    for p in drivers:
        out, err = p.communicate()
        if p.returncode != 0:
            print(f"check-sdks: driver {p.args} failed ({p.returncode}):\n{err.decode()}")
            return 1
        for line in out.decode("utf-8", "replace").split("\n"):
            if not line:
                continue
            sdk, name, verdict = line.split("\t", 2)
            real[(sdk, name)] = verdict
    passed = failed = 0
    for name in names:
        s, lib = said[name].get("processcreds"), said[name]["library"]
        if s is None or s.startswith("accepts") != lib.startswith("accepts"):
            print(f"FAIL {name} [processcreds]: check says {s!r}, `processcreds get` "
                  f"{lib!r}")
            failed += 1
        else:
            passed += 1
        for sdk in SDKS:
            r = real.get((sdk, name))
            s = said[name].get(sdk)
            if r is None or s is None:
                print(f"FAIL {name} [{sdk}]: no verdict (real {r!r}, check {s!r})")
                failed += 1
            elif r.startswith("accepts") != s.startswith("accepts"):
                print(f"FAIL {name} [{sdk}]: check says {s!r}, the SDK says {r!r} "
                      f"(output: {os.path.join(d, name + '.out')})")
                failed += 1
            else:
                passed += 1
    took = time.monotonic() - start
    print(f"check-sdks: {len(names)} cases through 4 SDKs, processcreds get and check in "
          f"{took:.1f}s")
    if not args.keep and failed == 0:
        shutil.rmtree(d, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
