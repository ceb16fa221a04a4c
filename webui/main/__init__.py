"""Pages everyone sees: the start page and the health check."""
from webui.main.routes import bp

__all__ = ["bp"]
