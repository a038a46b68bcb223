"""The coach: a local web app over the library (pages, JSON API, live WebSocket).

:func:`smilescope.web.app.create_app` builds it; ``smilescope serve`` runs it.
"""
