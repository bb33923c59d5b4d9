"""`make bench`: the service's throughput, latency and SQL per operation against hand-written ceilings.

A Django app only under `bench.settings`: production settings never install it or mount its views.
"""
