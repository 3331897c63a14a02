#!/usr/bin/env python3
"""Rebuilds the committed seed corpus from the conformance vectors.

corpus/output: every helper output of tests/vectors/*.json ("stdout", "stdout_b64") and the JSON
files of tests/vectors/data. corpus/ini: every file of tests/vectors/profiles/*.json ("files",
"files_b64", with {home} and {data} substituted) and tests/vectors/profiles/data/*.ini.
Files are named by the SHA-1 of their content, as libFuzzer names its own.
"""
import base64
import glob
import hashlib
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "tests", "vectors")


def write(kind, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    for f in sorted(glob.glob(os.path.join(VECTORS, "*.json"))):
        for case in json.load(open(f)):
            if "stdout" in case:
                text = re.sub(r"\{now\+\d+\}", "2030-01-01T00:00:00Z", case["stdout"])
                text = re.sub(r"\{now-\d+\}", "2020-01-01T00:00:00Z", text)
                write("output", text.encode())
            if "stdout_b64" in case:
                write("output", base64.b64decode(case["stdout_b64"]))
    for f in sorted(glob.glob(os.path.join(VECTORS, "data", "*.json"))):
        write("output", open(f, "rb").read())
    # A few shapes the vectors hold only as scripts: deep nesting and long numbers.
    head = '{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"S","X":'
    write("output", (head + "[" * 200 + "]" * 200 + "}").encode())
    write("output", (head + "9" * 400 + ',"Y":-0.5e-99}').encode())
    write("output", (head + '"\\u00e9\\ud83d\\ude00\\/\\n"}').encode())
    subst = lambda s: s.replace("{home}", "/home/u").replace("{data}", "/data")
    for f in sorted(glob.glob(os.path.join(VECTORS, "profiles", "*.json"))):
        for case in json.load(open(f)):
            for text in case.get("files", {}).values():
                write("ini", subst(text).encode())
            for b64 in case.get("files_b64", {}).values():
                write("ini", base64.b64decode(b64))
    for f in sorted(glob.glob(os.path.join(VECTORS, "profiles", "data", "*.ini"))):
        write("ini", open(f, "rb").read())


if __name__ == "__main__":
    main()
