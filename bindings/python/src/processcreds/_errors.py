"""The exception hierarchy: one class per status of the C ABI, carrying Go's code and text."""

from __future__ import annotations

from typing import Dict, Tuple, Type

# The status numbers and names of the C ABI (never renumbered), from the header.
from ._constants import (
    PC_STATUS_CANCELED,
    PC_STATUS_CONFIG,
    PC_STATUS_EXECUTION,
    PC_STATUS_INTERNAL,
    PC_STATUS_INVALID_ARGUMENT,
    PC_STATUS_NOT_CACHED,
    PC_STATUS_PARSE,
    PC_STATUS_REQUIRED,
    PC_STATUS_TIMEOUT,
    PC_STATUS_VERSION,
    STATUS_NAMES,
)

# The library's code for an invalid argument; used for the checks done in Python too.
CODE_INVALID_ARGUMENT = "InvalidParameter"
CODE_INTERNAL = "InternalError"


class ProcessCredentialsError(Exception):
    """A failure of the library.

    ``status`` is the C ABI status number (``PC_STATUS_*``), ``code`` the aws-sdk-go v1 error
    code (e.g. ``"ProcessProviderExecutionError"``) and ``message`` Go's ``Error()`` text
    (``"CODE: message"``, then ``"\\ncaused by: ..."`` where Go has a cause). The message never
    contains a secret.
    """

    status: int
    code: str
    message: str

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> Tuple[Type[ProcessCredentialsError], Tuple[int, str, str]]:
        return (type(self), (self.status, self.code, self.message))

    @property
    def status_name(self) -> str:
        """The C name of the status, e.g. ``"PC_STATUS_TIMEOUT"``."""
        return STATUS_NAMES.get(self.status, "PC_STATUS_UNKNOWN")


class InvalidArgumentError(ProcessCredentialsError, ValueError):
    """An invalid argument (status ``PC_STATUS_INVALID_ARGUMENT``); also a ``ValueError``."""


class ExecutionError(ProcessCredentialsError):
    """The helper could not be started, exited non-zero or was killed by a signal."""


class ProcessTimeoutError(ProcessCredentialsError, TimeoutError):
    """The helper did not finish within the timeout; also a builtin ``TimeoutError``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        # TimeoutError is an OSError: give it the message alone, so that errno stays None.
        ProcessCredentialsError.__init__(self, status, code, message)


class ParseError(ProcessCredentialsError):
    """The helper's output is not valid."""


class VersionError(ProcessCredentialsError):
    """The output's ``Version`` is not 1."""


class RequiredError(ProcessCredentialsError):
    """``AccessKeyId`` or ``SecretAccessKey`` is missing from the output."""


class ConfigError(ProcessCredentialsError):
    """The shared config or credentials file cannot give a provider for the profile."""


class InternalError(ProcessCredentialsError):
    """A failure inside the library."""


class CanceledError(ProcessCredentialsError):
    """The retrieve was cancelled (status ``PC_STATUS_CANCELED``, code ``RequestCanceled``): the
    provider was freed while :meth:`ProcessProvider.retrieve_async` waited. (Cancelling the
    awaiting task raises ``asyncio.CancelledError`` there, as usual.)"""


class NotCachedError(ProcessCredentialsError):
    """No valid credentials are cached (status ``PC_STATUS_NOT_CACHED``);
    :meth:`ProcessProvider.retrieve_cached` returns ``None`` instead of raising it."""


ERROR_CLASSES: Dict[int, Type[ProcessCredentialsError]] = {
    PC_STATUS_INVALID_ARGUMENT: InvalidArgumentError,
    PC_STATUS_EXECUTION: ExecutionError,
    PC_STATUS_TIMEOUT: ProcessTimeoutError,
    PC_STATUS_PARSE: ParseError,
    PC_STATUS_VERSION: VersionError,
    PC_STATUS_REQUIRED: RequiredError,
    PC_STATUS_CONFIG: ConfigError,
    PC_STATUS_INTERNAL: InternalError,
    PC_STATUS_CANCELED: CanceledError,
    PC_STATUS_NOT_CACHED: NotCachedError,
}


def make_error(status: int, code: str, message: str) -> ProcessCredentialsError:
    """The exception for a status (``ProcessCredentialsError`` itself for an unknown one)."""
    return ERROR_CLASSES.get(status, ProcessCredentialsError)(status, code, message)


def invalid_argument(text: str) -> InvalidArgumentError:
    """An invalid-argument error found in Python, worded as the library words its own."""
    return InvalidArgumentError(
        PC_STATUS_INVALID_ARGUMENT, CODE_INVALID_ARGUMENT, f"{CODE_INVALID_ARGUMENT}: {text}"
    )
