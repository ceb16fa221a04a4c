"""Password hashing with the standard library's scrypt (no plain text is ever stored)."""
import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, n: int = _N) -> str:
    """Return a salted scrypt hash in the form scrypt$n$r$p$salt$hash (n is the CPU/memory cost)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    enc = base64.b64encode
    return f"scrypt${n}${_R}${_P}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches the stored hash (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                               p=int(p), dklen=32)
    return hmac.compare_digest(candidate, base64.b64decode(digest))
