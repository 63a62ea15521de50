"""SIP digest credentials as Kamailio's auth_db reads them: HA1 digests, never clear text."""
import hashlib


def ha1(username: str, realm: str, password: str) -> str:
    """MD5(username:realm:password), the `subscriber.ha1` column."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def ha1b(username: str, domain: str, realm: str, password: str) -> str:
    """MD5(username@domain:realm:password), the `subscriber.ha1b` column."""
    return hashlib.md5(f"{username}@{domain}:{realm}:{password}".encode()).hexdigest()
