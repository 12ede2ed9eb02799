"""Tandem channels for Rasa (engine venv): referenced from credentials.yml by module path."""
