"""Custom actions of the reference assistant (rasa-sdk action server, actions venv)."""
