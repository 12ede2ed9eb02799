"""Sanic 21 refuses a second app in one process unless test mode is on; the
channel modules here each start their own app."""

from sanic import Sanic

Sanic.test_mode = True
