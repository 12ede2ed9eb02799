"""Loopback stand-ins for cloud APIs that tests cannot reach (importable, not test files)."""
