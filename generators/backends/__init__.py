"""Text generator backends, each imported only when configuration picks it.

See :data:`generators.text.BACKENDS` for the names configuration uses.
"""
