"""The JSON API's error answers: `{"error": message}` with the HTTP status code. The API's
blueprints (api, api_platform) and the error pages of security.py answer API requests with it."""
from flask import jsonify

_MESSAGES = {400: "bad request", 401: "a valid bearer token is required",
             403: "forbidden", 404: "not found", 405: "method not allowed",
             413: "request too large", 415: "the body must be JSON"}


def error_response(code: int, message: str | None = None):
    """(JSON body, status code): `message`, or the usual one of `code`."""
    return jsonify(error=message or _MESSAGES.get(code, "error")), code
