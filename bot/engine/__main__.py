"""``python -m bot.engine run ...``: the rasa CLI with Tandem's engine extensions."""

import sys

from bot.engine import install


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
