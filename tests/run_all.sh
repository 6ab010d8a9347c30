#!/usr/bin/env bash
# The whole suite, as ./run test runs it (and CI through .ci/run):
#   1. unit tests (cmocka, meson test) in build/
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   3. every libFuzzer target for FUZZ_SECONDS each (build-fuzz/), those of
#      the daemons' and the client's other parsers for FUZZ_SHORT_SECONDS
#   4. pytest: the Python cross-check and the system tests (real processes in
#      network namespaces), against build/, then the system tests against
#      the sanitizer build
# and prints one closing line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
PY=/usr/bin/python3
# the daemons read only the installed YANG modules or TWR_YANG_DIR: the tests
# use the source tree's (meson test sets it too, tests/py/conftest.py likewise)
export TWR_YANG_DIR=$TOP/yang
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_SHORT_SECONDS=${FUZZ_SHORT_SECONDS:-10}
LOGDIR=$TOP/build-testlogs
rm -rf "$LOGDIR" && mkdir -p "$LOGDIR"

passed=0 failed=0 skipped=0
failures=()

log() { printf '==> %s\n' "$*" >&2; }

count() { # count STAGE P F S
	passed=$((passed + $2)) failed=$((failed + $3)) skipped=$((skipped + $4))
	[ "$3" -eq 0 ] || failures+=("$1: $3 failed")
	log "$1: $2 passed, $3 failed, $4 skipped"
}

# meson test's testlog.json: one JSON object per test
meson_stage() { # meson_stage NAME BUILDDIR
	local name=$1 dir=$2 counts
	meson test -C "$dir" --print-errorlogs --num-processes 2 >"$LOGDIR/$name.log" 2>&1
	counts=$($PY - "$dir/meson-logs/testlog.json" <<'EOF'
import json, sys
p = f = s = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"): p += 1
        elif r == "SKIP": s += 1
        else: f += 1
except OSError:
    f = 1
print(p, f, s)
EOF
)
	# shellcheck disable=SC2086
	count "$name" $counts
	if [ "$(echo "$counts" | cut -d' ' -f2)" != 0 ]; then
		grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|ERROR|TIMEOUT)' "$LOGDIR/$name.log" >&2 || tail -40 "$LOGDIR/$name.log" >&2
	fi
}

# The configuration files, the hash-chained log, both ends of the session
# API and the key agent's serving path, the charon plugin's messages and the
# client's receive path and files: briefly, to keep the suite's time; each
# had its long run once (tests/README.md).
fuzz_seconds() {
	case $1 in
	fuzz_config_* | fuzz_ctl_* | fuzz_dp_api | fuzz_keyagent_serve | fuzz_ippm_msg | fuzz_client_*)
		echo "$FUZZ_SHORT_SECONDS" ;;
	*) echo "$FUZZ_SECONDS" ;;
	esac
}

fuzz_stage() {
	local p=0 f=0 t name corpus
	for t in build-fuzz/tests/fuzz/fuzz_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		name=$(basename "$t")
		corpus=$(mktemp -d)
		cp -r "tests/fuzz/corpus/$name/." "$corpus/" 2>/dev/null || true
		if "$t" -max_total_time="$(fuzz_seconds "$name")" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$LOGDIR/$name-" "$corpus" >"$LOGDIR/$name.log" 2>&1; then
			p=$((p + 1))
		else
			f=$((f + 1))
			tail -30 "$LOGDIR/$name.log" >&2
		fi
		rm -rf "$corpus"
	done
	[ $((p + f)) -gt 0 ] || f=1 # no fuzz target built is a failure
	count fuzz "$p" "$f" 0
}

# pytest's junit XML: tests, failures, errors, skipped
pytest_stage() { # pytest_stage NAME BUILDDIR [pytest args...]
	local name=$1 dir=$2 counts
	shift 2
	TWR_BUILD=$TOP/$dir $PY -m pytest -q -p no:cacheprovider --junitxml="$LOGDIR/$name.xml" \
		"$@" >"$LOGDIR/$name.log" 2>&1
	counts=$($PY - "$LOGDIR/$name.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    t = sum(int(s.get("tests", 0)) for s in suites)
    f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    s = sum(int(s.get("skipped", 0)) for s in suites)
    print(t - f - s, f, s)
except (OSError, ET.ParseError):
    print(0, 1, 0)
EOF
)
	# shellcheck disable=SC2086
	count "$name" $counts
	if [ "$(echo "$counts" | cut -d' ' -f2)" != 0 ]; then
		grep -E '^(FAILED|ERROR)' "$LOGDIR/$name.log" >&2 || tail -40 "$LOGDIR/$name.log" >&2
	fi
}

./run build || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
./run build-asan || { count build-asan 0 1 0; }
./run build-fuzz || { count build-fuzz 0 1 0; }

meson_stage unit build
[ -f build-asan/build.ninja ] && meson_stage unit-asan build-asan
[ -f build-fuzz/build.ninja ] && fuzz_stage
pytest_stage pytest build tests/py
[ -f build-asan/build.ninja ] && pytest_stage system-asan build-asan -m sanitize tests/py

echo
if [ ${#failures[@]} -gt 0 ]; then
	printf 'failed stage: %s\n' "${failures[@]}"
	echo "logs: $LOGDIR"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
