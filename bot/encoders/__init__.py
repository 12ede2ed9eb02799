"""Preparing the engine's sentence encoder (actions venv, Python 3.11: torch lives there).

The engine venv runs the encoder with ONNX Runtime only (:mod:`bot.nlu.encoder`);
turning a sentence-transformers model into that folder needs torch, so it happens
here, in the other venv:

* :mod:`bot.encoders.export` writes the ONNX encoder ``make setup`` installs
  (``python -m bot.encoders.export --out models/encoders/all-minilm-l6-v2``);
* :mod:`bot.encoders.finetune` adapts the encoder to a bot's intents first; the
  featurizer runs it as a subprocess during ``rasa train`` when ``fine_tune: true``.

Nothing here imports rasa, and nothing in the engine venv imports this package.
"""
