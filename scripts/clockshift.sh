#!/usr/bin/env bash
# Runs go test with each test binary's wall clock (time.Now) placed near a
# boundary, to find tests that depend on where the wall clock is: the
# InfluxDB heat roll-up's quarter hours, midnight, the clocks changing,
# month end. The clock is moved once, when the test binary first reads it,
# and runs on from there; the monotonic clock (timers, time.Since between
# two readings) is untouched. It builds against a copy of the standard
# library's time.Now (go test -overlay, under $TMPDIR); nothing is installed.
#
# usage: scripts/clockshift.sh WHEN [go test arguments]
#   WHEN is PERIOD:OFFSET in seconds: the next multiple of PERIOD since
#   1970 (UTC) plus OFFSET, e.g. 900:-2 (2 s before the next quarter hour),
#   900:30 (30 s into it: detections stamped a minute back are in a quarter
#   hour that has ended), 86400:-2 (2 s before midnight UTC); or
#   @UNIXSECONDS, e.g. @$(date -d 2027-03-28T00:59:50Z +%s) with
#   TZ=Europe/London: 10 s before the clocks go forward.
# e.g. scripts/clockshift.sh 900:30 -tags integration -run '^TestFopsSlowInfluxWritesAreDelivered$' ./fusion/store/
#
# A package's tests share one process, so only the first is at the boundary:
# to put each there, build the binary (scripts/clockshift.sh 900:30 -c -o
# /tmp/x.test ./fusion/store/) and run it once per test, with RFW_CLOCK_AT set
# (RFW_CLOCK_AT=900:30 /tmp/x.test -test.run '^TestX$'). What the kernel stamps
# (file times) and other processes (influxd, mosquitto, chromium) keep the
# true clock: a test comparing those with time.Now fails for a shift larger
# than its own tolerance (dashboard TestReplayUploadKeepsExisting, a shift of
# more than an hour) without depending on the clock.
set -euo pipefail
if [ $# -lt 1 ] || ! [[ $1 =~ ^([0-9]+:-?[0-9]+|@-?[0-9]+)$ ]] || [[ $1 =~ ^0+: ]]; then
  echo "usage: $0 PERIOD:OFFSET|@UNIXSECONDS [go test arguments]" >&2
  exit 2
fi
when=$1; shift
cd "$(dirname "$0")/.."
goroot=$(go env GOROOT)
dir=$(mktemp -d "${TMPDIR:-/tmp}/clockshift.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# time.Now adds clockShift(sec) to the seconds it reads: one line in time.go
grep -q '^	sec, nsec, mono := runtimeNow()$' "$goroot/src/time/time.go" || {
  echo "$0: $goroot/src/time/time.go has no 'sec, nsec, mono := runtimeNow()' line to patch (Go $(go env GOVERSION))" >&2
  exit 1
}
sed 's/^	sec, nsec, mono := runtimeNow()$/&\n	sec += clockShift(sec)/' "$goroot/src/time/time.go" >"$dir/time.go"
cat >"$dir/clockshift.go" <<'EOF'
package time

import (
	"sync"
	"syscall"
)

var (
	clockShiftOnce sync.Once
	clockShiftSec  int64
)

// clockShift returns how many seconds to move the wall clock, worked out
// from RFW_CLOCK_AT (scripts/clockshift.sh) at the first reading, sec.
func clockShift(sec int64) int64 {
	clockShiftOnce.Do(func() {
		v, _ := syscall.Getenv("RFW_CLOCK_AT")
		if v == "" {
			return
		}
		if v[0] == '@' {
			if n, ok := clockShiftInt(v[1:]); ok {
				clockShiftSec = n - sec
			}
			return
		}
		for i := 0; i < len(v); i++ {
			if v[i] == ':' {
				p, ok1 := clockShiftInt(v[:i])
				o, ok2 := clockShiftInt(v[i+1:])
				if ok1 && ok2 && p > 0 {
					clockShiftSec = (sec/p+1)*p + o - sec
				}
				return
			}
		}
	})
	return clockShiftSec
}

func clockShiftInt(s string) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, len(s) > 0
}
EOF
printf '{"Replace":{"%s":"%s","%s":"%s"}}\n' \
  "$goroot/src/time/time.go" "$dir/time.go" "$goroot/src/time/zz_clockshift.go" "$dir/clockshift.go" >"$dir/overlay.json"
RFW_CLOCK_AT=$when go test -overlay "$dir/overlay.json" "$@"
