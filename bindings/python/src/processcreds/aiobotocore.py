"""aiobotocore integration: credentials that refresh through the library, without ever blocking
the event loop.

    from aiobotocore.session import get_session
    import processcreds.aiobotocore

    session = get_session()
    processcreds.aiobotocore.install(session)       # the session's profile, from the shared config
    async with session.create_client("sts", region_name="us-east-1") as sts:
        await sts.get_caller_identity()

This mirrors :mod:`processcreds.botocore` for aiobotocore's ``AioSession``: the provider's
``load()`` and every refresh are ``await provider.retrieve_async()``, so a cached hit stays on
the loop's thread and a run of the helper happens on the library's thread while the loop goes on
(aiobotocore's own process provider needs a subprocess transport, which some loops lack, and
blocks otherwise). Tasks that need a refresh at the same time share one run of the helper, with
each other and with any blocking caller of the same provider. Refreshing is left to the library,
as in :mod:`processcreds.botocore`: give the provider a ``refresh_window`` and no request waits
for the helper while the credentials are valid.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, cast

import botocore.credentials

# aiobotocore ships no type information.
import aiobotocore.credentials  # type: ignore[import-untyped,import-not-found,unused-ignore]
import aiobotocore.session  # type: ignore[import-untyped,import-not-found,unused-ignore]

from . import botocore as _sync
from ._provider import Credentials, ProcessProvider

METHOD = _sync.METHOD


class CredentialProvider(botocore.credentials.CredentialProvider):
    """An aiobotocore credential provider backed by a :class:`processcreds.ProcessProvider`.

    ``await load()`` returns ``aiobotocore.credentials.AioRefreshableCredentials`` that refresh
    through :meth:`ProcessProvider.retrieve_async`, or ``AioCredentials`` when the credentials
    never expire. Errors are the provider's (:class:`processcreds.ProcessCredentialsError`).
    """

    METHOD = METHOD

    def __init__(self, provider: ProcessProvider) -> None:
        if not isinstance(provider, ProcessProvider):
            raise TypeError(
                f"provider must be a processcreds.ProcessProvider, not {type(provider).__name__}"
            )
        super().__init__()
        self.provider = provider
        # The expiry and metadata rules are botocore's provider's.
        self._rules = _sync.CredentialProvider(provider)

    async def load(self) -> Any:
        creds = await self.provider.retrieve_async()
        expiry = self._rules._expiry(creds)
        if expiry is None:
            return _static(creds)
        return aiobotocore.credentials.AioRefreshableCredentials.create_from_metadata(
            metadata=self._rules._metadata(creds, expiry),
            refresh_using=self._refresh,
            method=METHOD,
            advisory_timeout=math.ceil(self.provider._refresh_window_ms / 1000),
            mandatory_timeout=0,
        )

    async def _refresh(self) -> Dict[str, Any]:
        creds = await self.provider.retrieve_async()
        return self._rules._metadata(creds, self._rules._expiry(creds) or _sync._FAR_FUTURE)


def _static(creds: Credentials) -> Any:
    return aiobotocore.credentials.AioCredentials(
        creds.access_key_id,
        creds.secret_access_key,
        creds.session_token or None,
        method=METHOD,
        account_id=creds.account_id,
    )


def install(
    session: aiobotocore.session.AioSession, provider: Optional[ProcessProvider] = None
) -> CredentialProvider:
    """Puts a :class:`CredentialProvider` first in the ``AioSession``'s credential resolver and
    returns it.

    ``provider`` ``None``: ``ProcessProvider.from_profile(session.profile, shared_config=True)``
    (the session's profile, from the credentials and config files). Installing again replaces the
    provider installed before. Credentials the session had already loaded are dropped, so its
    next clients use the new provider.
    """
    if provider is None:
        provider = ProcessProvider.from_profile(
            cast(Optional[str], session.profile), shared_config=True
        )
    credential_provider = CredentialProvider(provider)
    _sync._put_first(session, credential_provider)
    return credential_provider


__all__ = ["METHOD", "CredentialProvider", "install"]
