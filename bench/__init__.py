"""Performance bench: a large-city generator (bench.generate) and a page timer (bench.run)."""
