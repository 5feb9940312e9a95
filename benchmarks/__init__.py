"""Benchmarks for content_sync: search latency and pack build/install throughput on a synthetic city.

Run everything with ``.venv/bin/python -m benchmarks.run`` (see benchmarks/README.md).
"""
