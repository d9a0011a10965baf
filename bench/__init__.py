"""twinhub's benchmarks: `python -m bench` (or `make bench`) from the repository root."""
