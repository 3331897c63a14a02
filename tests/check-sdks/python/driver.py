"""The botocore driver of the `check` differential test (tests/check-sdks, mk/check.mk).

Runs each helper named on stdin (one ``name<TAB>command`` a line) through botocore's own
``ProcessProvider`` (the provider of a profile's ``credential_process``), then does what a
client does before each request: ``get_frozen_credentials()`` (which refreshes credentials inside
botocore's 15/10-minute windows, running the helper again) and SigV4 signing of a request.
Prints ``botocore<TAB>name<TAB>accepts`` or ``...<TAB>rejects: why`` for each helper.
"""

import logging
import sys
import warnings

import botocore
import botocore.credentials as bc
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

# A failed advisory refresh is logged by botocore: not a verdict.
logging.disable(logging.CRITICAL)
# dateutil warns of a time zone name it does not know (the time is then naive): not a verdict.
warnings.simplefilter("ignore")


def verdict(command: str) -> str:
    try:
        provider = bc.ProcessProvider(
            "p", lambda: {"profiles": {"p": {"credential_process": command}}}
        )
        creds = provider.load()
        frozen = creds.get_frozen_credentials()
        request = AWSRequest(
            method="POST",
            url="https://sts.us-east-1.amazonaws.com/",
            data="Action=GetCallerIdentity&Version=2011-06-15",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        SigV4Auth(frozen, "sts", "us-east-1").add_auth(request)
        return "accepts"
    except Exception as e:  # every failure is a verdict
        # (a message can quote a lone surrogate of the output: escaped, as print needs)
        text = " ".join(str(e).split())[:200].encode("utf-8", "backslashreplace").decode()
        return f"rejects: {type(e).__name__}: {text}"


def main() -> None:
    print(f"# botocore {botocore.__version__}", file=sys.stderr)
    for line in sys.stdin:
        name, sep, command = line.rstrip("\n").partition("\t")
        if sep:
            print(f"botocore\t{name}\t{verdict(command)}", flush=False)


if __name__ == "__main__":
    main()
