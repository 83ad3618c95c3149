"""The learning repository's web application (FastAPI, server-rendered pages, a JSON API).

``app.create_app`` builds it; ``security`` holds sessions, CSRF and headers; ``deps`` the
per-request database session, signed-in user and page rendering; ``pages`` and ``api`` the routes.
"""
