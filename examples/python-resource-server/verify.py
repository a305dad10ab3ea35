#!/usr/bin/env python3
"""Verify a Writ OAuth access token (RFC 9068) the way a resource server in Python would.

Standard library + PyJWT (Debian: python3-jwt, with python3-cryptography for EdDSA).

    WRIT_ISSUER=http://127.0.0.1:4000 WRIT_AUDIENCE=https://api.example.com \
        python3 verify.py "$ACCESS_TOKEN"

Optional, to learn about revocations before the token expires (RFC 7662 introspection):
    WRIT_INTROSPECT_CLIENT_ID=... WRIT_INTROSPECT_CLIENT_SECRET=...

Prints the verified claims as JSON and exits 0, or prints {"error": ...} and exits 1.
"""

import base64
import json
import os
import sys
import urllib.parse
import urllib.request

import jwt

# Writ signs with EdDSA today; list only what you expect. Never include "none" or HS*:
# an allowlist is what stops algorithm confusion.
ALGORITHMS = ["EdDSA", "ES256", "RS256"]
CLOCK_SKEW_SECONDS = 30
# Bounded so a slow or hostile network cannot hold a request thread.
HTTP_TIMEOUT_SECONDS = 5


class Refused(Exception):
    pass


def fetch_json(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return json.loads(response.read(1_000_000))


def discover(issuer):
    """The discovery document; its issuer must be exactly the one configured."""
    metadata = fetch_json(issuer + "/.well-known/openid-configuration")
    if metadata.get("issuer") != issuer:
        raise Refused("discovery names another issuer")
    return metadata


def verify(token, issuer, audience, metadata, jwks_client):
    header = jwt.get_unverified_header(token)
    # RFC 9068 section 4: an access token says so in its header; an ID token (typ JWT) or a
    # logout token must never pass for one. The header is covered by the signature checked below.
    if str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
        raise Refused("not an access token")
    if header.get("alg") not in ALGORITHMS:
        raise Refused("algorithm not allowed")
    signing_key = jwks_client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=ALGORITHMS,
        issuer=issuer,
        audience=audience,
        leeway=CLOCK_SKEW_SECONDS,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti", "client_id"]},
    )
    # A DPoP-bound token (cnf.jkt) is only valid with a proof of its key (RFC 9449 section 7).
    # This example does not check proofs, so it refuses bound tokens instead of accepting them
    # as bearer tokens.
    if "cnf" in claims:
        raise Refused("DPoP-bound token: a proof is required")
    return claims


def introspect(token, metadata, client_id, client_secret):
    """Asks the service whether the token is still active (revocations, disabled clients)."""
    credentials = base64.b64encode(
        (urllib.parse.quote(client_id, safe="") + ":" + urllib.parse.quote(client_secret, safe="")).encode()
    ).decode()
    answer = fetch_json(
        metadata["introspection_endpoint"],
        data=urllib.parse.urlencode({"token": token}).encode(),
        headers={
            "authorization": "Basic " + credentials,
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    if answer.get("active") is not True:
        raise Refused("token is not active")


def main():
    if len(sys.argv) != 2:
        print("usage: verify.py <access token>", file=sys.stderr)
        return 2
    token = sys.argv[1]
    issuer = os.environ["WRIT_ISSUER"]
    audience = os.environ["WRIT_AUDIENCE"]
    try:
        metadata = discover(issuer)
        jwks_client = jwt.PyJWKClient(metadata["jwks_uri"], cache_keys=True)
        claims = verify(token, issuer, audience, metadata, jwks_client)
        client_id = os.environ.get("WRIT_INTROSPECT_CLIENT_ID")
        if client_id:
            introspect(token, metadata, client_id, os.environ["WRIT_INTROSPECT_CLIENT_SECRET"])
    except (Refused, jwt.PyJWTError) as error:
        # The reason is for your logs; a client gets 401 invalid_token and nothing more.
        print(json.dumps({"error": type(error).__name__, "reason": str(error)}))
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
