"""Tandem's channels for Rasa. Engine venv (Python 3.10): they import rasa and sanic.

Referenced from credentials.yml by module path. The wire rules live in modules of
plain functions (``webchat_protocol``, ``slack_events``, ``inbound``, ``cards``,
``blocks``) that import no rasa; the channel classes only translate.
"""
