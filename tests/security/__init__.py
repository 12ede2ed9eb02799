"""The security review's method as code, shared by the e2e suite and the benchmark.

``target`` starts and drives a real server set, ``attacks`` lists the attacks
(each says whether the defence held), ``fuzz`` runs property-based fuzzers. The
tests are tests/e2e/test_security.py; the long run is benchmarks/security.py.
"""
