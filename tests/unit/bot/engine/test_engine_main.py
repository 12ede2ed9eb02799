"""``python -m bot.engine`` takes the API's secrets from the environment only (issue 19 #7)."""

from __future__ import annotations

import pytest

from bot.engine.__main__ import main, secret_flag_error


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--enable-api", "--auth-token", "s3cret"],
        ["run", "--jwt-secret=s3cret", "--jwt-method", "HS256"],
    ],
)
def test_secrets_on_the_command_line_are_refused(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["bot.engine", *argv])
    with pytest.raises(SystemExit, match="in the environment instead") as exit_:
        main()
    assert "s3cret" not in str(exit_.value)


def test_an_ordinary_command_line_passes() -> None:
    assert secret_flag_error(["run", "--enable-api", "--port", "5005"]) is None
