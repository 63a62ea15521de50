"""Who a JSON API request comes from: the account of its bearer token (RFC 6750).

Both APIs (/api/v1 for tenant administrators, /api/v1/platform for platform operators) ask
`bearer_account` first; a request without a valid token gets 401 with the bearer challenge,
`error="invalid_token"` when its token has expired.
"""
from flask import request

from . import accounts, dbconn
from .errors import error_response


def unauthorized(message: str | None = None, error: str | None = None):
    """401 with the bearer challenge (RFC 6750: error="invalid_token" for an expired one)."""
    response = error_response(401, message)[0]
    response.headers["WWW-Authenticate"] = 'Bearer realm="vpbx"' + (
        f', error="{error}"' if error else "")
    return response, 401


def bearer_account():
    """(account, None) for a request with a valid bearer token, else (None, the 401 to give)."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    try:
        account = accounts.account_for_token(dbconn.get_db(), token.strip()) \
            if scheme.lower() == "bearer" else None
    except accounts.TokenExpired as expired:
        return None, unauthorized(f"{expired}; make a new one on the account page",
                                  "invalid_token")
    if account is None:
        return None, unauthorized()
    return account, None
