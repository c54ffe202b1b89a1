"""ASGI middleware of the application, one per module, outermost first: cors, authenticate."""
