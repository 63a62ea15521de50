"""HTTP Digest (RFC 7616, MD5, qop=auth) as a desk phone answers a challenge: for the tests
of the phonebook, through Flask's test client or over real HTTP."""
import hashlib
import re


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def challenge_fields(www_authenticate: str) -> dict:
    """realm, nonce, qop… of a WWW-Authenticate: Digest header."""
    return dict(re.findall(r'(\w+)="([^"]*)"', www_authenticate))


def authorization(fields: dict, method: str, url: str, username: str, password: str,
                  nc: int = 1, nonce: str | None = None) -> str:
    """The Authorization header answering the challenge `fields` (or another `nonce`)."""
    nonce = nonce or fields["nonce"]
    ha1 = _md5(f"{username}:{fields['realm']}:{password}")
    ha2 = _md5(f"{method}:{url}")
    count = f"{nc:08x}"
    response = _md5(f"{ha1}:{nonce}:{count}:abcdef:auth:{ha2}")
    return (f'Digest username="{username}", realm="{fields["realm"]}", '
            f'nonce="{nonce}", uri="{url}", qop=auth, nc={count}, '
            f'cnonce="abcdef", response="{response}", algorithm=MD5')
