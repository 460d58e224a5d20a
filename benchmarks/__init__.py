"""What grading costs, and how it scales: ``python -m benchmarks.run`` (``make bench``)."""
