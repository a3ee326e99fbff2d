"""The web console (`/console`) and the API documentation pages (`/docs`, `/redoc`), offline.

`install(app)` adds them to the API's FastAPI app: the console's pages, its static files, `/`
redirecting to the console, and Swagger UI and ReDoc drawn from files installed with kaohe. No
page loads anything from another host.
"""

from __future__ import annotations

from .app import install

__all__ = ["install"]
