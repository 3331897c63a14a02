"""The corpus of the `check` differential test: helper outputs on which the SDKs differ.

``python3 gen.py DIR`` writes, for each case NAME, ``DIR/NAME.out`` (the helper's stdout, bytes as
they are) and ``DIR/NAME.sh`` (the helper: prints the file, then exits with the case's status or
signal), and ``DIR/cases.tsv``: one ``NAME<TAB>/abs/path/NAME.sh`` line a case, the command each
SDK driver runs (a path without spaces or quotes, so the SDKs that run ``sh -c COMMAND`` and
botocore, which splits the command itself, run the same program).

The cases cover every field type, key spelling and duplicate, the Expiration forms that Go's
``time.Time``, the ``time`` crate (aws-sdk-rust) and dateutil (botocore) read differently, the
encodings (invalid UTF-8, BOM, NUL, surrogates, control characters), sizes around aws-sdk-go v1's
8192-byte buffer, and exit statuses. Times that matter relative to now (botocore's refresh
windows, expired credentials) are written relative to the moment the corpus is made.
"""

import datetime
import json
import os
import random
import stat
import sys

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
LATER = "2099-01-02T03:04:05Z"


def rfc3339_in(seconds: int) -> str:
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def fields(**over: object) -> dict:
    """The usual fields, some replaced (a value of ``None`` here drops the field)."""
    base = {
        "Version": 1,
        "AccessKeyId": "AKIDEXAMPLE",
        "SecretAccessKey": SECRET,
        "SessionToken": TOKEN,
        "Expiration": LATER,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not DROP}


DROP = object()


def obj(pairs) -> bytes:
    """A JSON object from (key, raw JSON text) pairs, written as they are (duplicates kept)."""
    return ("{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}").encode()


def of(d: dict) -> list:
    return [(k, json.dumps(v)) for k, v in d.items()]


def cases() -> list:
    out = []

    def add(name: str, body, exit: int = 0, signal: str = "", stderr: str = "") -> None:
        if isinstance(body, str):
            body = body.encode()
        out.append((name, body, exit, signal, stderr))

    # ---- baselines ----
    add("clean", json.dumps(fields()))
    add("minimal", json.dumps(fields(SessionToken=DROP, Expiration=DROP)))
    add("account-id", json.dumps(fields(AccountId="123456789012")))
    add("pretty", json.dumps(fields(), indent=2) + "\n")
    add("crlf", json.dumps(fields(), indent=1).replace("\n", "\r\n") + "\r\n")
    add("unknown-keys", json.dumps(dict(fields(), Extra={"a": [1, 2, {"b": None}]}, N=1.5e300)))

    # ---- Version ----
    for label, raw in [
        ("1.0", "1.0"), ("1e0", "1e0"), ("1E0", "1E0"), ("10e-1", "10e-1"), ("0.1e1", "0.1e1"),
        ("1.00000000000000001", "1.00000000000000001"), ("string", '"1"'), ("true", "true"),
        ("false", "false"), ("null", "null"), ("2", "2"), ("0", "0"), ("-1", "-1"), ("-0", "-0"),
        ("01", "01"), ("1.5", "1.5"), ("4294967297", "4294967297"),
        ("2pow63", "9223372036854775808"), ("array", "[1]"), ("object", "{}"), ("NaN", "NaN"),
        ("Infinity", "Infinity"), ("1e400", "1e400"), ("plus1", "+1"), ("1dot", "1."),
    ]:
        add(f"version-{label}", obj([("Version", raw)] + of(fields(Version=DROP))))
    add("version-missing", json.dumps(fields(Version=DROP)))
    add("version-null-after-1", obj([("Version", "1"), ("Version", "null")] + of(fields(Version=DROP))))
    add("version-1-after-2", obj([("Version", "2"), ("Version", "1")] + of(fields(Version=DROP))))
    add("version-1.5-before-1", obj([("Version", "1.5"), ("Version", "1")] + of(fields(Version=DROP))))
    add("version-string-after-1", obj([("Version", "1"), ("Version", '"x"')] + of(fields(Version=DROP))))

    # ---- field types ----
    for field in ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"]:
        for label, raw in [
            ("null", "null"), ("true", "true"), ("false", "false"), ("0", "0"), ("number", "12345"),
            ("float", "1.5"), ("empty", '""'), ("space", '" "'), ("array", '["x"]'),
            ("empty-array", "[]"), ("object", '{"a":"b"}'), ("empty-object", "{}"),
        ]:
            add(f"type-{field}-{label}", obj(of(fields(**{field: DROP})) + [(field, raw)]))
        add(f"missing-{field}", json.dumps(fields(**{field: DROP})))
    add("expiration-epoch-number", obj(of(fields(Expiration=DROP)) + [("Expiration", "4070908800")]))

    # ---- key spelling ----
    for field in ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"]:
        value = fields(AccountId="123456789012")[field]
        rest = of({k: v for k, v in fields(AccountId="123456789012").items() if k != field})
        for label, key in [("lower", field.lower()), ("upper", field.upper()),
                           ("camel", field[0].lower() + field[1:]), ("space", field + " "),
                           ("snake", "".join("_" + c.lower() if c.isupper() else c for c in field).lstrip("_"))]:
            add(f"key-{label}-{field}", obj(rest + [(key, json.dumps(value))]))
    add("key-kelvin-AccessKeyId", obj(of(fields(AccessKeyId=DROP)) + [("Access\u212aeyId", '"AKIDEXAMPLE"')]))
    add("key-longs-SecretAccessKey", obj(of(fields(SecretAccessKey=DROP)) + [("\u017fecretAccessKey", json.dumps(SECRET))]))
    add("key-longs-SessionToken", obj(of(fields(SessionToken=DROP)) + [("\u017fessionToken", '"T"')]))
    add("key-dotless-i-Expiration", obj(of(fields(Expiration=DROP)) + [("Expirat\u0131on", json.dumps(LATER))]))
    add("key-escaped-AccessKeyId", obj(of(fields(AccessKeyId=DROP))) [:-1] + b',"Access\\u004beyId":"AKIDEXAMPLE"}')
    add("key-only-lower", json.dumps({k.lower(): v for k, v in fields().items()}))

    # ---- duplicates ----
    def dup(name, pairs, field):
        add(name, obj(of(fields(**{field: DROP})) + pairs))

    dup("dup-AccessKeyId-then-empty", [("AccessKeyId", '"AKID1"'), ("AccessKeyId", '""')], "AccessKeyId")
    dup("dup-AccessKeyId-then-null", [("AccessKeyId", '"AKID1"'), ("AccessKeyId", "null")], "AccessKeyId")
    dup("dup-AccessKeyId-then-number", [("AccessKeyId", '"AKID1"'), ("AccessKeyId", "5")], "AccessKeyId")
    dup("dup-AccessKeyId-number-then-string", [("AccessKeyId", "5"), ("AccessKeyId", '"AKID1"')], "AccessKeyId")
    dup("dup-AccessKeyId-lower-then-exact", [("accesskeyid", '"AKID1"'), ("AccessKeyId", '"AKID2"')], "AccessKeyId")
    dup("dup-AccessKeyId-exact-then-lower-empty", [("AccessKeyId", '"AKID1"'), ("accesskeyid", '""')], "AccessKeyId")
    dup("dup-AccessKeyId-exact-then-lower-number", [("AccessKeyId", '"AKID1"'), ("accesskeyid", "7")], "AccessKeyId")
    dup("dup-SecretAccessKey-then-null", [("SecretAccessKey", json.dumps(SECRET)), ("SecretAccessKey", "null")], "SecretAccessKey")
    dup("dup-SessionToken-then-null", [("SessionToken", '"T1"'), ("SessionToken", "null")], "SessionToken")
    dup("dup-SessionToken-then-empty", [("SessionToken", '"T1"'), ("SessionToken", '""')], "SessionToken")
    dup("dup-SessionToken-exact-then-lower-object", [("SessionToken", '"T1"'), ("sessiontoken", "{}")], "SessionToken")
    dup("dup-Expiration-then-null", [("Expiration", json.dumps(LATER)), ("Expiration", "null")], "Expiration")
    dup("dup-Expiration-bad-then-good", [("Expiration", '"soon"'), ("Expiration", json.dumps(LATER))], "Expiration")
    dup("dup-Expiration-good-then-bad", [("Expiration", json.dumps(LATER)), ("Expiration", '"soon"')], "Expiration")
    dup("dup-Expiration-exact-then-lower-bad", [("Expiration", json.dumps(LATER)), ("expiration", '"soon"')], "Expiration")
    dup("dup-Expiration-lower-then-exact-bad", [("expiration", json.dumps(LATER)), ("Expiration", '"soon"')], "Expiration")
    dup("dup-Expiration-exact-then-lower-expired", [("Expiration", json.dumps(LATER)), ("expiration", '"2001-01-01T00:00:00Z"')], "Expiration")
    dup("dup-Expiration-exact-expired-then-lower", [("Expiration", '"2001-01-01T00:00:00Z"'), ("expiration", json.dumps(LATER))], "Expiration")
    dup("dup-Expiration-exact-then-lower-number", [("Expiration", json.dumps(LATER)), ("expiration", "5")], "Expiration")
    dup("dup-Expiration-number-then-exact", [("Expiration", "5"), ("Expiration", json.dumps(LATER))], "Expiration")
    dup("dup-AccountId-exact-then-lower-number", [("AccountId", '"123456789012"'), ("accountid", "5")], "AccountId")

    # ---- Expiration forms ----
    for label, text in [
        ("z-lower", "2099-01-02T03:04:05z"), ("t-lower", "2099-01-02t03:04:05Z"),
        ("space-sep", "2099-01-02 03:04:05Z"), ("underscore-sep", "2099-01-02_03:04:05Z"),
        ("no-zone", "2099-01-02T03:04:05"), ("utc-offset", "2099-01-02T03:04:05+00:00"),
        ("minus-zero", "2099-01-02T03:04:05-00:00"), ("plus-one", "2099-01-02T03:04:05+01:00"),
        ("minus-five", "2099-01-02T03:04:05-05:00"), ("compact-offset", "2099-01-02T03:04:05+0100"),
        ("hour-offset", "2099-01-02T03:04:05+01"), ("offset-2359", "2099-01-02T03:04:05+23:59"),
        ("offset-2400", "2099-01-02T03:04:05+24:00"), ("offset-minus-2400", "2099-01-02T03:04:05-24:00"),
        ("offset-0060", "2099-01-02T03:04:05+00:60"), ("offset-seconds", "2099-01-02T03:04:05+00:00:00"),
        ("space-offset", "2099-01-02T03:04:05 +01:00"), ("space-Z", "2099-01-02T03:04:05 Z"),
        ("frac-1", "2099-01-02T03:04:05.1Z"), ("frac-9", "2099-01-02T03:04:05.123456789Z"),
        ("frac-12", "2099-01-02T03:04:05.123456789012Z"), ("frac-comma", "2099-01-02T03:04:05,5Z"),
        ("frac-empty", "2099-01-02T03:04:05.Z"), ("hour-1", "2099-01-02T3:04:05Z"),
        ("minute-1", "2099-01-02T03:4:05Z"), ("second-1", "2099-01-02T03:04:5Z"),
        ("month-1", "2099-1-02T03:04:05Z"), ("day-1", "2099-01-2T03:04:05Z"),
        ("year-2", "99-01-02T03:04:05Z"), ("year-5", "20990-01-02T03:04:05Z"),
        ("no-seconds", "2099-01-02T03:04Z"), ("hour-only", "2099-01-02T03Z"),
        ("date-only", "2099-01-02"), ("date-Z", "2099-01-02Z"),
        ("basic", "20990102T030405Z"), ("hour-24", "2099-01-02T24:00:00Z"),
        ("minute-60", "2099-01-02T03:60:00Z"), ("second-61", "2099-01-02T03:04:61Z"),
        ("leap-valid", "2098-12-31T23:59:60Z"), ("leap-june", "2098-06-30T23:59:60Z"),
        ("leap-not-month-end", "2099-01-02T23:59:60Z"), ("leap-not-2359", "2098-12-31T03:04:60Z"),
        ("leap-offset", "2099-01-01T00:59:60+01:00"),
        ("feb-29-leap", "2096-02-29T00:00:00Z"), ("feb-29-not-leap", "2099-02-29T00:00:00Z"),
        ("feb-30", "2096-02-30T00:00:00Z"), ("month-13", "2099-13-02T03:04:05Z"),
        ("month-0", "2099-00-02T03:04:05Z"), ("day-0", "2099-01-00T03:04:05Z"),
        ("day-32", "2099-01-32T03:04:05Z"), ("year-9999", "9999-12-31T23:59:59Z"),
        ("year-0000", "0000-01-01T00:00:00Z"), ("past", "2001-02-03T04:05:06Z"),
        ("utc-suffix", "2099-01-02T03:04:05 UTC"), ("utc-word", "2099-01-02T03:04:05UTC"),
        ("gmt-suffix", "2099-01-02 03:04:05 GMT"), ("est-suffix", "2099-01-02T03:04:05 EST"),
        ("pst-suffix", "2099-01-02T03:04:05 PST"), ("z-and-offset", "2099-01-02T03:04:05Z+01:00"),
        ("utc-plus", "2099-01-02T03:04:05 UTC+01:00"), ("gmt-minus", "2099-01-02T03:04:05 GMT-5"),
        ("rfc1123", "Fri, 02 Jan 2099 03:04:05 GMT"), ("rfc1123-numeric", "Fri, 02 Jan 2099 03:04:05 +0000"),
        ("rfc1123-no-zone", "Fri, 02 Jan 2099 03:04:05"), ("rfc850", "Friday, 02-Jan-99 03:04:05 GMT"),
        ("ctime", "Fri Jan  2 03:04:05 2099"), ("ctime-utc", "Fri Jan  2 03:04:05 UTC 2099"),
        ("month-name", "2 January 2099 03:04:05 UTC"), ("us-date", "01/02/2099 03:04:05 UTC"),
        ("ampm", "2099-01-02 03:04:05 PM UTC"), ("epoch-string", "4070908800"),
        ("empty", ""), ("space", " "), ("lead-space", " 2099-01-02T03:04:05Z"),
        ("trail-space", "2099-01-02T03:04:05Z "), ("trail-newline", "2099-01-02T03:04:05Z\n"),
        ("double-Z", "2099-01-02T03:04:05ZZ"), ("tomorrow", "tomorrow"), ("now", "now"),
        ("week", "2099-W01-1T03:04:05Z"), ("ordinal", "2099-002T03:04:05Z"),
        ("fullwidth-digit", "2099-01-02T03:04:0\uff15Z"), ("arabic-digit", "2099-01-02T03:04:0\u0665Z"),
        ("nbsp-sep", "2099-01-02\u00a003:04:05Z"), ("unicode-sep", "2099-01-02\u200303:04:05Z"),
        ("minus-sign-offset", "2099-01-02T03:04:05\u221201:00"),
        ("year-only", "2099"),
    ]:
        add(f"exp-{label}", json.dumps(fields(Expiration=text)))
    # Escapes inside the Expiration string: Go reads the raw text between the quotes.
    add("exp-escaped-Z", obj(of(fields(Expiration=DROP)) + [("Expiration", '"2099-01-02T03:04:05\\u005a"')]))
    add("exp-escaped-slash", obj(of(fields(Expiration=DROP)) + [("Expiration", '"2099-01-02T03:04:05\\/"')]))
    # Relative to now: botocore refreshes within 15 minutes (blocking within 10) and raises when
    # the refreshed credentials are still expired.
    for label, seconds in [("in-5m", 5 * 60), ("in-12m", 12 * 60), ("in-20m", 20 * 60), ("in-1h", 3600),
                           ("expired-2m", -120), ("expired-1d", -86400)]:
        add(f"exp-{label}", json.dumps(fields(Expiration=rfc3339_in(seconds))))
    add("exp-in-5m-offset", json.dumps(fields(Expiration=rfc3339_in(5 * 60)[:-1] + "+00:00")))
    add("exp-expired-no-token", json.dumps(fields(Expiration=rfc3339_in(-120), SessionToken=DROP)))
    # A time without a date: dateutil takes today's date, so the time is 6 hours from now's time
    # of day (never within seconds of now, whenever the corpus is made).
    add("exp-time-only", json.dumps(fields(Expiration=rfc3339_in(6 * 3600)[11:])))

    # ---- encodings ----
    clean = json.dumps(fields()).encode()
    add("bom", b"\xef\xbb\xbf" + clean)
    add("utf16", json.dumps(fields()).encode("utf-16"))
    add("invalid-utf8-token", clean.replace(TOKEN.encode(), b"IQo\xffJb"))
    add("invalid-utf8-key-id", clean.replace(b"AKIDEXAMPLE", b"AKID\xc3"))
    add("invalid-utf8-secret", clean.replace(SECRET.encode(), b"wJal\xed\xa0\x80rX"))
    add("invalid-utf8-unknown", clean[:-1] + b',"Note":"caf\xe9"}')
    add("invalid-utf8-key", clean[:-1] + b',"N\xffote":"x"}')
    add("invalid-utf8-outside", clean[:-1] + b'\xff}')
    add("overlong-utf8", clean[:-1] + b',"Note":"\xc0\xaf"}')
    add("lone-surrogate-token", clean.replace(TOKEN.encode(), b"IQo\\ud800Jb"))
    add("lone-low-surrogate-token", clean.replace(TOKEN.encode(), b"IQo\\udc00Jb"))
    add("lone-surrogate-key-id", clean.replace(b"AKIDEXAMPLE", b"AKID\\ud83d"))
    add("lone-surrogate-secret", clean.replace(SECRET.encode(), b"wJal\\udfffrX"))
    add("lone-surrogate-expiration", obj(of(fields(Expiration=DROP)) + [("Expiration", '"2099-01-02T03:04:05\\ud800"')]))
    add("lone-surrogate-unknown", clean[:-1] + b',"Note":"\\ud800"}')
    add("lone-surrogate-unknown-key", clean[:-1] + b',"N\\ud800":"x"}')
    add("surrogate-pair-token", clean.replace(TOKEN.encode(), b"IQo\\ud83d\\ude00Jb"))
    add("escaped-nul-token", clean.replace(TOKEN.encode(), b"IQo\\u0000Jb"))
    add("escaped-nul-key-id", clean.replace(b"AKIDEXAMPLE", b"AKID\\u0000"))
    add("escaped-nul-secret", clean.replace(SECRET.encode(), b"wJal\\u0000rX"))
    add("escaped-nul-unknown", clean[:-1] + b',"Note":"\\u0000"}')
    add("escaped-newline-token", clean.replace(TOKEN.encode(), b"IQo\\nJb"))
    add("escaped-newline-key-id", clean.replace(b"AKIDEXAMPLE", b"AKID\\nX"))
    add("escaped-tab-token", clean.replace(TOKEN.encode(), b"IQo\\tJb"))
    add("escaped-del-token", clean.replace(TOKEN.encode(), b"IQo\\u007fJb"))
    add("escaped-quote-key-id", clean.replace(b"AKIDEXAMPLE", b'AKID\\"X'))
    add("escaped-ascii-key-id", clean.replace(b"AKIDEXAMPLE", b"AKID\\u0041"))
    add("nonascii-key-id", clean.replace(b"AKIDEXAMPLE", "AKID\u00e9".encode()))
    add("nonascii-token", clean.replace(TOKEN.encode(), "IQo\u2028Jb".encode()))
    add("raw-nul-token", clean.replace(TOKEN.encode(), b"IQo\x00Jb"))
    add("raw-control-token", clean.replace(TOKEN.encode(), b"IQo\x01Jb"))
    add("raw-tab-token", clean.replace(TOKEN.encode(), b"IQo\tJb"))
    add("raw-newline-token", clean.replace(TOKEN.encode(), b"IQo\nJb"))
    add("raw-del-token", clean.replace(TOKEN.encode(), b"IQo\x7fJb"))
    add("raw-control-unknown", clean[:-1] + b',"Note":"a\x01b"}')
    add("invalid-escape", clean[:-1] + b',"Note":"\\x41"}')
    add("short-unicode-escape", clean[:-1] + b',"Note":"\\u12"}')
    add("bad-hex-escape-key-id", clean.replace(b"AKIDEXAMPLE", b"AKID\\u12G4"))
    add("bad-hex-escape-unknown", clean[:-1] + b',"Note":"\\u12G4"}')
    add("escaped-slash-key-id", clean.replace(b"AKIDEXAMPLE", b"AKID\\/X"))

    # ---- JSON structure ----
    add("empty-output", b"")
    add("blank-output", b" \n\t\r\n")
    add("top-null", b"null")
    add("top-array", b"[]")
    add("top-string", b'"x"')
    add("top-number", b"1")
    add("top-true", b"true")
    add("empty-object", b"{}")
    add("leading-space", b" \n" + clean)
    add("trailing-newline", clean + b"\n")
    add("trailing-nul", clean + b"\x00")
    add("trailing-garbage", clean + b"x")
    add("trailing-log-line", clean + b"\nlogged in\n")
    add("two-objects", clean + b"\n" + clean)
    add("leading-log-line", b"logged in\n" + clean)
    add("trailing-comma", clean[:-1] + b",}")
    add("single-quotes", clean.replace(b'"', b"'"))
    add("comment", b"// creds\n" + clean)
    add("nan-unknown", clean[:-1] + b',"Note":NaN}')
    add("infinity-unknown", clean[:-1] + b',"Note":-Infinity}')
    add("big-number-unknown", clean[:-1] + b',"Note":1e400}')
    add("huge-int-unknown", clean[:-1] + b',"Note":' + b"7" * 5000 + b"}")
    add("huge-int-version", obj([("Version", "1" + "0" * 5000)] + of(fields(Version=DROP))))
    add("leading-zero-unknown", clean[:-1] + b',"Note":01}')
    add("plus-number-unknown", clean[:-1] + b',"Note":+1}')
    add("dot-number-unknown", clean[:-1] + b',"Note":1.}')
    add("minus-only-unknown", clean[:-1] + b',"Note":-}')
    add("exp-no-digits-unknown", clean[:-1] + b',"Note":1e}')
    add("bad-literal-unknown", clean[:-1] + b',"Note":tru}')
    add("literal-suffix-unknown", clean[:-1] + b',"Note":truex}')
    add("deep-200-unknown", clean[:-1] + b',"Note":' + b"[" * 200 + b"]" * 200 + b"}")
    add("deep-2000-unknown", clean[:-1] + b',"Note":' + b"[" * 2000 + b"]" * 2000 + b"}")
    add("missing-colon", clean[:-1] + b',"Note" 1}')
    add("unclosed-object", clean[:-1])
    add("unclosed-string", clean[:-2])
    add("key-not-string", clean[:-1] + b",1:2}")
    add("formfeed-whitespace", clean[:1] + b"\x0c" + clean[1:])
    add("nbsp-whitespace", clean[:1] + "\u00a0".encode() + clean[1:])
    add("vertical-tab-whitespace", clean[:1] + b"\x0b" + clean[1:])

    # ---- sizes (aws-sdk-go v1 reads at most 8192 bytes) ----
    def padded(total: int, tail: bytes = b"") -> bytes:
        head = clean[:-1] + b',"Padding":"'
        end = b'"}'
        n = total - len(head) - len(end) - len(tail)
        return head + b"x" * n + end + tail

    for n in [8191, 8192, 8193, 9000, 70000]:
        add(f"size-{n}", padded(n))
    add("size-8192-newline", padded(8192, b"\n"))
    add("size-8190-trailing-spaces", padded(8190, b" " * 100))
    # The object ends before byte 8192 and something else follows after it: aws-sdk-go v1 never
    # sees it.
    add("size-8000-spaces-then-garbage", padded(8000) + b" " * 300 + b"x")
    add("size-8000-spaces-then-object", padded(8000) + b" " * 300 + clean)
    add("size-8000-garbage-at-8100", padded(8000) + b" " * 99 + b"x")
    add("size-9000-key-at-end", obj(of(fields(Expiration=DROP)) + [("Padding", '"' + "x" * 9000 + '"'), ("Expiration", '"soon"')]))

    # ---- exit statuses ----
    add("stderr-too", clean, stderr="logged in as someone\n")
    add("exit-1", clean, exit=1)
    add("exit-2-empty", b"", exit=2)
    add("exit-255", clean, exit=255)
    add("signal-term", clean, signal="TERM")
    add("signal-kill-empty", b"", signal="KILL")

    # ---- seeded random cases: Expiration texts built from the pieces the readers differ on,
    # and single-byte mutations of a clean output ----
    rng = random.Random(int(os.environ.get("CHECK_SDKS_SEED", "24")))
    for k in range(int(os.environ.get("CHECK_SDKS_RANDOM", "150"))):
        add(f"rand-exp-{k}", json.dumps(fields(Expiration=random_expiration(rng))))
    alphabet = b'{}[]",:0123456789.eE+-tfnul \t\n\\/abAZz\x00\x7f\xc3\xa9\xff'
    for k in range(int(os.environ.get("CHECK_SDKS_RANDOM", "150"))):
        body = bytearray(clean)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(body))
            op = rng.choice(["set", "insert", "delete"])
            if op == "delete":
                del body[at]
            else:
                c = alphabet[rng.randrange(len(alphabet))]
                if op == "set":
                    body[at] = c
                else:
                    body.insert(at, c)
        add(f"rand-mut-{k}", bytes(body))
    for k in range(int(os.environ.get("CHECK_SDKS_RANDOM", "150"))):
        add(f"rand-obj-{k}", random_object(rng))
    return out


def random_object(rng: random.Random) -> bytes:
    """An object whose fields come in random spellings, types, orders and duplicates."""
    values = {
        "Version": ["1", "1", "1", "1.0", "2", "true", '"1"', "null", "1e0", "01", "[]"],
        "AccessKeyId": ['"AKIDEXAMPLE"'] * 4 + ['""', "null", "5", "{}", '"AK\\nID"', '"AK\\u0000"', "true"],
        "SecretAccessKey": [json.dumps(SECRET)] * 4 + ['""', "null", "7", "[]", '" "', '"s\\udc00"'],
        "SessionToken": [json.dumps(TOKEN)] * 3 + ['""', "null", "0", "{}", "[1]", "false", '"t\\u007f"'],
        "Expiration": [json.dumps(LATER)] * 3 + ['"2099-01-02 03:04:05 UTC"', "null", "5", '""',
                       '"2098-12-31T23:59:60Z"', '"2001-01-01T00:00:00Z"', '"soon"', '"2099-01-02T03:04:05+24:00"'],
        "AccountId": ['"123456789012"', "123456789012", "null", "[]"],
    }
    pairs = []
    for name, pool in values.items():
        for _ in range(rng.choice([0, 1, 1, 1, 1, 2])):
            key = rng.choice([name, name, name, name.lower(), name.upper(), name[0].lower() + name[1:],
                              name.replace("K", "\u212a").replace("S", "\u017f")])
            pairs.append((key, rng.choice(pool)))
    rng.shuffle(pairs)
    if rng.random() < 0.2:
        pairs.append(("Extra", rng.choice(["NaN", "1e999", '"\\ud800"', "[[[]]]", '{"a":null}'])))
    return ("{" + ",".join(f'"{k}":{v}' for k, v in pairs) + "}").encode()


def random_expiration(rng: random.Random) -> str:
    """A date-and-time text from pieces that Go, the time crate and dateutil read differently."""
    y = rng.choice(["2099", "2098", "99", "0099", "1999", "20990", "2100", "9999"])
    mo = rng.choice(["01", "1", "12", "13", "00", "02", "06", "Jan", "January", "jan"])
    d = rng.choice(["02", "2", "28", "29", "30", "31", "32", "00"])
    date = rng.choice([
        f"{y}-{mo}-{d}", f"{y}/{mo}/{d}", f"{mo}/{d}/{y}", f"{d} {mo} {y}", f"{y}{mo}{d}",
        f"{d}-{mo}-{y}", f"{mo} {d}, {y}", f"{y}.{mo}.{d}",
    ])
    h = rng.choice(["03", "3", "23", "24", "00", "12"])
    mi = rng.choice(["04", "4", "59", "60"])
    sec = rng.choice(["05", "5", "59", "60", "61", "05.5", "05,25", "05.123456789", "05."])
    tm = rng.choice([f"{h}:{mi}:{sec}", f"{h}:{mi}", f"{h}{mi}{sec}", f"{h}h{mi}m", f"{h}"])
    sep = rng.choice(["T", "t", " ", "  ", "_", "", "T ", ", "])
    zone = rng.choice([
        "Z", "z", "", " UTC", "UTC", " GMT", "+00:00", "-00:00", "+01:00", "-05:00", "+0100",
        "+01", " +01:00", "+24:00", "-23:59", "+00:60", " Z", " EST", " CET", "ZZ", " PM",
        " AM UTC", "+1", "-0130", " utc", " gmt",
    ])
    text = f"{date}{sep}{tm}{zone}"
    if rng.random() < 0.15:
        text = rng.choice(["Mon, ", "Tue ", "Friday, ", "sat ", "on ", "at ", "the "]) + text
    if rng.random() < 0.15:
        text += rng.choice([" (UTC)", " +0100 (CET)", " a.m.", " p.m.", " of", "s", "\u0000",
                            " 2099", "Z (UTC)", " -0500 (EST)"])
    if rng.random() < 0.1:
        text = rng.choice([f"{tm} {date}{zone}", f"{date} at {tm}{zone}", f"{tm}{zone} on {date}"])
    return text


def main() -> None:
    d = os.path.abspath(sys.argv[1])
    os.makedirs(d, exist_ok=True)
    names = set()
    with open(os.path.join(d, "cases.tsv"), "w") as tsv:
        for name, body, exit, signal, stderr in cases():
            assert name not in names and "\t" not in name and " " not in name, name
            names.add(name)
            data = os.path.join(d, name + ".out")
            with open(data, "wb") as f:
                f.write(body)
            helper = os.path.join(d, name + ".sh")
            end = f"kill -{signal} $$\n" if signal else f"exit {exit}\n"
            noise = f"printf '%s' '{stderr}' >&2\n" if stderr else ""
            with open(helper, "w") as f:
                f.write(f"#!/bin/sh\n{noise}cat '{data}'\n{end}")
            os.chmod(helper, stat.S_IRWXU)
            tsv.write(f"{name}\t{helper}\n")
    print(f"{len(names)} cases in {d}", file=sys.stderr)


if __name__ == "__main__":
    main()
