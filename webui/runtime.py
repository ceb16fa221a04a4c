"""The engine's runtime of the app handling a request: what every blueprint and helper calls into."""
from flask import current_app


def current_runtime():
    """The Runtime of the app handling the current request (built by `create_app`)."""
    return current_app.extensions["opsflow"]
