"""The entry points: the Starlette application (app.py), the command line (cli.py) and the
settings of a serving process (heap.py). The composition root: it builds and wires the layers
below it (schema, workers, server) and nothing imports it."""
