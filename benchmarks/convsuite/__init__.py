"""The customer conversation suite: its file schema, the judge, the runner, the report.

``tests/conversations/*.yml`` hold the conversations (``heldout/`` the held-out
split); docs/conversations.md describes the schema and how the numbers are
defined. :mod:`benchmarks.conversations` is the command line.

- :mod:`~benchmarks.convsuite.schema`: loading and validating the YAML files.
- :mod:`~benchmarks.convsuite.judge`: one turn's reply against its expectations (pure).
- :mod:`~benchmarks.convsuite.runner`: plays conversations over Rasa's REST channel.
- :mod:`~benchmarks.convsuite.report`: the results contract, the table and the plot.
"""
