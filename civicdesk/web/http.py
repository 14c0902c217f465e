"""Facts about the request that several parts of the site need."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The network address the request came from, for counting attempts.

    Behind TRUSTED_PROXY_HOPS proxies (a load balancer, a reverse proxy), REMOTE_ADDR is the
    nearest proxy's address, which every resident and member of staff would share. Each proxy
    appends the address it heard from to X-Forwarded-For, so the client is that many entries
    from the right; entries further left were written by the client and cannot be trusted.
    """
    hops: int = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", ""))
