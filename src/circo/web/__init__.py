"""Web app: FastAPI factory, one router per domain, Jinja2 templates, static assets."""
