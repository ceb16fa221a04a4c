"""Sign-in, sign-out, password change and the language switch."""
from webui.auth.routes import bp

__all__ = ["bp"]
