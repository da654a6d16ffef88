"""The composite-index engine: transformations, weights, aggregation (methods as data)."""
