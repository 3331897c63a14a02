"""botocore/boto3 integration: credentials that refresh through the library.

    import botocore.session
    import processcreds.botocore

    session = botocore.session.get_session()
    processcreds.botocore.install(session)          # the session's profile, from the shared config
    client = session.create_client("sts")

With boto3, install into a botocore session and hand it to boto3:
``boto3.Session(botocore_session=session)``.

Refreshing is left to the library: the botocore credentials are refreshed when the library's
credentials expire (their ``Expiration`` less the provider's ``expiry_window``), and a refresh
is a :meth:`ProcessProvider.retrieve`, so threads that need a refresh at the same time run the
helper once. botocore's own early-refresh margins (15 and 10 minutes for its process provider)
are not used. Give the provider a ``refresh_window`` (botocore's own is 15 minutes) and no
request waits for the helper while the credentials are valid: within that window botocore asks
the library (its "advisory" refresh), which answers at once with the cached credentials and
refreshes them in the background; a failed refresh leaves them in use until they expire.

    provider = processcreds.ProcessProvider.from_profile(
        session.profile, shared_config=True, refresh_window=15 * 60)
    processcreds.botocore.install(session, provider)
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional

import botocore.credentials
import botocore.session

from ._provider import Credentials, ProcessProvider

METHOD = "processcreds"

# Expiry reported for credentials that stopped expiring after a refresh.
_FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


class CredentialProvider(botocore.credentials.CredentialProvider):
    """A botocore credential provider backed by a :class:`processcreds.ProcessProvider`.

    ``load()`` returns ``botocore.credentials.RefreshableCredentials`` that refresh through the
    provider, or plain ``botocore.credentials.Credentials`` when the credentials never expire.
    Errors are the provider's (:class:`processcreds.ProcessCredentialsError` and subclasses).
    """

    METHOD = METHOD

    def __init__(self, provider: ProcessProvider) -> None:
        if not isinstance(provider, ProcessProvider):
            raise TypeError(
                f"provider must be a processcreds.ProcessProvider, not {type(provider).__name__}"
            )
        super().__init__()
        self.provider = provider

    def load(self) -> botocore.credentials.Credentials:
        creds = self.provider.retrieve()
        expiry = self._expiry(creds)
        if expiry is None:
            return _static(creds)
        # botocore asks for a refresh from `advisory_timeout` before the expiry on, and while
        # the library's own refresh runs in the background (refresh_window), gets the cached
        # credentials back at once; it must wait only from the expiry on.
        return botocore.credentials.RefreshableCredentials.create_from_metadata(
            metadata=self._metadata(creds, expiry),
            refresh_using=self._refresh,
            method=METHOD,
            advisory_timeout=math.ceil(self.provider._refresh_window_ms / 1000),
            mandatory_timeout=0,
        )

    def _refresh(self) -> Dict[str, Any]:
        creds = self.provider.retrieve()
        return self._metadata(creds, self._expiry(creds) or _FAR_FUTURE)

    def _expiry(self, creds: Credentials) -> Optional[datetime]:
        """When botocore must refresh: the library's expiry (less the expiry window), plus 1 ms.

        The library keeps its expiry to the nanosecond and reports it to the millisecond,
        rounded down; botocore compares to the microsecond. The extra millisecond makes botocore
        ask for new credentials only once the library sees the old ones as expired too.
        """
        if creds.expiration is None:
            return None
        window = timedelta(milliseconds=self.provider._expiry_window_ms - 1)
        try:
            return creds.expiration - window
        except OverflowError:
            return creds.expiration

    @staticmethod
    def _metadata(creds: Credentials, expiry: datetime) -> Dict[str, Any]:
        metadata: Dict[str, Any] = {
            "access_key": creds.access_key_id,
            "secret_key": creds.secret_access_key,
            "token": creds.session_token or None,
            "expiry_time": expiry.isoformat(),
        }
        if creds.account_id is not None:
            metadata["account_id"] = creds.account_id
        return metadata


def _static(creds: Credentials) -> botocore.credentials.Credentials:
    token = creds.session_token or None
    if creds.account_id is not None:
        try:
            return botocore.credentials.Credentials(
                creds.access_key_id,
                creds.secret_access_key,
                token,
                method=METHOD,
                account_id=creds.account_id,
            )
        except TypeError:  # a botocore without account ids
            pass
    return botocore.credentials.Credentials(
        creds.access_key_id, creds.secret_access_key, token, method=METHOD
    )


def install(
    session: botocore.session.Session, provider: Optional[ProcessProvider] = None
) -> CredentialProvider:
    """Puts a :class:`CredentialProvider` first in the session's credential resolver and
    returns it.

    ``provider`` ``None``: ``ProcessProvider.from_profile(session.profile, shared_config=True)``
    — the session's profile (``AWS_PROFILE`` or ``default`` when the session names none), read
    from the credentials and config files as botocore reads them (always both; their paths from
    ``AWS_SHARED_CREDENTIALS_FILE`` and ``AWS_CONFIG_FILE``). Installing again replaces the
    provider installed before. Credentials the session had already loaded are dropped, so its
    next clients use the new provider.
    """
    if provider is None:
        provider = ProcessProvider.from_profile(session.profile, shared_config=True)
    credential_provider = CredentialProvider(provider)
    _put_first(session, credential_provider)
    return credential_provider


def _put_first(session: botocore.session.Session, credential_provider: Any) -> None:
    """Puts ``credential_provider`` (of method :data:`METHOD`) first in the session's credential
    resolver, in place of one installed before, and drops the credentials the session had
    already loaded (botocore keeps the credentials it resolved first). Shared with
    :mod:`processcreds.aiobotocore`, whose ``AioSession`` has the same resolver."""
    resolver = session.get_component("credential_provider")
    if any(p.METHOD == METHOD for p in resolver.providers):
        resolver.remove(METHOD)
    if resolver.providers:
        resolver.insert_before(resolver.providers[0].METHOD, credential_provider)
    else:
        resolver.providers.insert(0, credential_provider)
    if getattr(session, "_credentials", None) is not None:
        setattr(session, "_credentials", None)


__all__ = ["METHOD", "CredentialProvider", "install"]
