"""``python -m bot.engine run ...``: the rasa CLI with Tandem's engine extensions.

The API's secrets come from the environment (:mod:`bot.engine.settings`) and
the engine checks them itself (:mod:`bot.engine.api_guard`), so Rasa's own
``--auth-token`` / ``--jwt-secret`` are never needed; they are refused, because
a command line is visible to every local user in ``ps``.
"""

from __future__ import annotations

import sys

from bot.engine import install

SECRET_FLAGS = {"--auth-token": "TANDEM_RASA_TOKEN", "--jwt-secret": "TANDEM_API_JWT_SECRET"}


def secret_flag_error(argv: list[str]) -> str | None:
    """Why ``argv`` must not be run, or ``None``."""
    for arg in argv:
        flag = arg.split("=", 1)[0]
        if flag in SECRET_FLAGS:
            return (
                f"{flag} puts a secret on the command line, where `ps` shows it to every "
                f"local user; set {SECRET_FLAGS[flag]} in the environment instead."
            )
    return None


def main() -> None:
    error = secret_flag_error(sys.argv[1:])
    if error is not None:
        sys.exit(error)
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
