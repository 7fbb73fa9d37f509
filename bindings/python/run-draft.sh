#!/usr/bin/env bash
# pyzmq's draft-API tests against ferrozmq: builds the same pyzmq sdist with
# ZMQ_DRAFT_API=1 against build/ (venv-ours-draft), then runs
# tests/test_draft.py and test_asyncio.py::test_draft_asyncio. pyzmq runs
# them only when zmq.DRAFT_API: a pyzmq built with ZMQ_DRAFT_API=1 and
# zmq_has("draft") true at run time, which ferrozmq answers as libzmq built
# with drafts does. Needs run-suite.sh's (or build.sh's) sdist.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/bindings/python
"$HERE/build.sh" ours >/dev/null
VERSION=$(cat "$OUT/pyzmq-version")
V=$OUT/venv-ours-draft
[ -x "$V/bin/python" ] || "${PYTHON:-python3}" -m venv "$V"
"$V/bin/python" -c 'import Cython, scikit_build_core, pytest, pytest_timeout, pytest_asyncio' 2>/dev/null \
    || timeout 600 "$V/bin/python" -m pip install -q --disable-pip-version-check \
        'cython>=3.0.0' 'scikit-build-core>=0.10' packaging pytest pytest-timeout pytest-asyncio
if ! "$V/bin/python" -c "import zmq, sys; sys.exit(not (zmq.backend.PYZMQ_DRAFT_API and zmq.pyzmq_version() == '$VERSION'))" 2>/dev/null; then
    echo "run-draft.sh: building pyzmq $VERSION with ZMQ_DRAFT_API=1 against $ROOT/build"
    env -u PKG_CONFIG_PATH ZMQ_PREFIX="$ROOT/build" ZMQ_DRAFT_API=1 PYZMQ_NO_BUNDLE=1 \
        timeout 1200 "$V/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
            --no-build-isolation --no-cache-dir --force-reinstall -Cbuild-dir="$OUT/skbuild-ours-draft" \
            "$OUT/dl/pyzmq-$VERSION.tar.gz" >"$OUT/logs/build-ours-draft.log" 2>&1 \
        || { tail -30 "$OUT/logs/build-ours-draft.log"; exit 1; }
fi
SUITE=$OUT/suite-draft
rm -rf "$SUITE"; mkdir -p "$SUITE"
cp -r "$OUT/src/pyzmq-$VERSION/tests" "$OUT/src/pyzmq-$VERSION/pytest.ini" "$SUITE/"
cd "$SUITE"
env -u LD_LIBRARY_PATH "$V/bin/python" -c 'import zmq, sys; sys.exit(not zmq.DRAFT_API)' \
    || { echo "run-draft.sh: zmq.DRAFT_API is false (zmq_has(\"draft\") on $ROOT/build)"; exit 1; }
exec env -u LD_LIBRARY_PATH timeout -k 10 300 "$V/bin/python" -m pytest \
    -p no:cacheprovider --timeout=60 -q -rfEs \
    tests/test_draft.py tests/test_asyncio.py::test_draft_asyncio
