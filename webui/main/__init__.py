"""The health check, open to load balancers without signing in."""
from webui.main.routes import bp

__all__ = ["bp"]
