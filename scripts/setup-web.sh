#!/usr/bin/env bash
# Installs what the web chat widget needs, once, and again only when its lock changes:
#   bot/channels/web/node_modules   socket.io-client from npm (npm ci, package-lock.json)
# With --browser, also what the real-browser test needs:
#   /usr/bin/chromium               Debian's chromium (apt-get; never Playwright's CDN)
#   fonts-wqy-microhei              a Chinese font (apt-get), for the Chinese screenshots
#   playwright                      the Python package, into .venv/actions
# Safe to run again: each step is skipped when its result is already in place.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/bot/channels/web"
venvs="${TANDEM_VENV_DIR:-$root/.venv}"
actions_python="$venvs/actions/bin/python"
stamp="$web/node_modules/.tandem-lock.sha256"
browser=0

say() { printf '[setup-web] %s\n' "$*" >&2; }

for arg in "$@"; do
    case "$arg" in
        --browser) browser=1 ;;
        -h|--help)
            sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        *) say "unknown option $arg; use --browser to install chromium and playwright too"; exit 2 ;;
    esac
done

if ! command -v npm >/dev/null 2>&1; then
    say "npm was not found: install Node.js 18 or later (e.g. apt-get install -y nodejs npm)."
    exit 1
fi

lock_hash="$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)"
if [ -f "$web/node_modules/socket.io-client/dist/socket.io.min.js" ] \
    && [ "$(cat "$stamp" 2>/dev/null || true)" = "$lock_hash" ]; then
    say "socket.io-client is installed and package-lock.json is unchanged"
else
    say "npm ci in bot/channels/web"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
    printf '%s\n' "$lock_hash" >"$stamp"
fi

if [ "$browser" = 1 ]; then
    if [ -x /usr/bin/chromium ]; then
        say "chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    else
        if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
            say "installing chromium needs root: run 'apt-get install -y chromium' as root."
            exit 1
        fi
        sudo_cmd=()
        [ "$(id -u)" != 0 ] && sudo_cmd=(sudo)
        say "apt-get install chromium (Debian's build; Playwright's own download is not used)"
        "${sudo_cmd[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq chromium >/dev/null
    fi
    # a Chinese font, so the screenshots of the Chinese widget show characters, not boxes
    if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ -n "$(command -v apt-get)" ]; then
        if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; then
            fonts_sudo=()
            [ "$(id -u)" != 0 ] && fonts_sudo=(sudo)
            say "apt-get install fonts-wqy-microhei (Chinese text in screenshots)"
            DEBIAN_FRONTEND=noninteractive "${fonts_sudo[@]}" apt-get install -y -qq fonts-wqy-microhei >/dev/null \
                || say "fonts-wqy-microhei could not be installed: Chinese screenshots will show boxes"
        fi
    fi

    if [ ! -x "$actions_python" ]; then
        say "the actions venv is missing ($actions_python): run 'make setup' first."
        exit 1
    fi
    if "$actions_python" -c "import playwright" >/dev/null 2>&1; then
        say "playwright is installed in the actions venv"
    else
        say "pip install playwright into the actions venv"
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$actions_python" -m pip install -q "playwright>=1.45" \
            2> >(grep -v -e "^WARNING: Location 'file:" -e "^ *$" >&2)
    fi
fi
say "done"
