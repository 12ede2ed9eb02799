"""The load test: Locust users that drive the reference assistant's journeys
(``locustfile.py``), the journey script and the tracker check (``journeys.py``).
``python -m benchmarks.scale`` runs it against 1 and 2 engine replicas."""
