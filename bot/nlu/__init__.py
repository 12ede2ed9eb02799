"""Tandem's NLU components for Rasa's pipeline. Engine venv (Python 3.10).

The components (``featurizer``, ``classifier``, ``cascade``, ``entities``) import
rasa. The ONNX encoder, the parsers, the calibration, the frustration scorer and
the language notes run without it (the last two define their Rasa components only
where rasa is importable), so the actions venv borrows them too. The encoder they
run is prepared in the actions venv, by :mod:`bot.encoders` (torch).
"""
