"""The ASGI factories the benchmarks serve: the product and its floors. Importing this module
imports none of them: a floor's process must not load the product's session rules."""

PRODUCT = "complaintdesk.app:create_app"
VARIANT_APPS = "bench.product_variants"
COMPILED_APPS = "bench.compiled_variants"  # the worklist compiled, and not (issue 19)
FLOOR_SQL = "bench.floor_sql:create_app"
FLOOR_STATIC = "bench.floor_static:create_app"
