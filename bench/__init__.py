"""Benchmarks (issue 6): one command each, ``python -m bench.<name> --help``. Results and the
exact commands are in docs/benchmarks.md. Timing depends on the machine: nothing here is a test."""
