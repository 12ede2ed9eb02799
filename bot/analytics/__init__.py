"""Conversation analytics: the store, ingestion, KPIs, dashboards and unanswered-question clusters.

Runs in the actions venv (Python 3.11). The engine publishes every event
(:mod:`bot.contract.analytics`); a consumer ingests them idempotently into the
tables of :mod:`bot.analytics.models`. docs/analytics.md defines every KPI.
"""
