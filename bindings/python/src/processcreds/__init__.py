"""processcreds: AWS credentials from a ``credential_process`` helper, with the semantics of
aws-sdk-go v1's ``aws/credentials/processcreds``, through the libprocesscreds C library.

    >>> from processcreds import ProcessProvider
    >>> with ProcessProvider("my-helper --profile dev", timeout=30) as provider:
    ...     creds = provider.retrieve()

The library is found through ``PROCESSCREDS_LIB`` (its path), next to this package, or the
system's library path. botocore/boto3 integration: :mod:`processcreds.botocore`; asyncio:
``await provider.retrieve_async()``, and aiobotocore: :mod:`processcreds.aiobotocore`. The
library's events go to the standard :mod:`logging` logger ``processcreds``;
``provider.stats()`` gives its counters.
"""

from ._errors import (
    CanceledError,
    ConfigError,
    ExecutionError,
    InternalError,
    InvalidArgumentError,
    NotCachedError,
    ParseError,
    ProcessCredentialsError,
    ProcessTimeoutError,
    RequiredError,
    VersionError,
)
from ._lib import LIB_PATH as library_path
from ._lib import library_version
from ._provider import Credentials, ProcessProvider, StderrMode, StdinMode
from ._stats import Stats

__version__ = "0.1.0"

__all__ = [
    "CanceledError",
    "ConfigError",
    "Credentials",
    "ExecutionError",
    "InternalError",
    "InvalidArgumentError",
    "NotCachedError",
    "ParseError",
    "ProcessCredentialsError",
    "ProcessProvider",
    "ProcessTimeoutError",
    "RequiredError",
    "Stats",
    "StderrMode",
    "StdinMode",
    "VersionError",
    "library_path",
    "library_version",
]
