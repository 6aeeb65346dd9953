#!/usr/bin/env bash
# Installs what rfwarden's tests need on a fresh Debian machine that has only Go:
# Debian packages (mosquitto, chromium, libhackrf-dev, hackrf tools, libfftw3-dev)
# and the real InfluxDB 1.8.10 server built from source with `go install`.
# Idempotent: a second run finds everything in place and returns quickly.
set -euo pipefail
cache=${RFW_CACHE:-$HOME/.cache/rfwarden}
mkdir -p "$cache/bin"

pkgs=(mosquitto chromium libhackrf-dev hackrf libfftw3-dev pkg-config python3)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package starts its own broker service on port 1883. Tests start
# their own brokers on other ports and do not need it, so it is stopped only
# when this run installed the package: a broker already running here (a
# site's, another user's) is left alone.
if [[ " ${missing[*]:-} " == *" mosquitto "* ]]; then
  if command -v systemctl >/dev/null 2>&1 && systemctl stop mosquitto >/dev/null 2>&1; then :
  elif [ -r /run/mosquitto/mosquitto.pid ]; then $sudo kill "$(cat /run/mosquitto/mosquitto.pid)" >/dev/null 2>&1 || true
  fi
fi

if [ ! -x "$cache/bin/influxd" ]; then
  echo "install-deps: building influxd v1.8.10 into $cache/bin (about 2 minutes)"
  GOBIN="$cache/bin" GOFLAGS=-mod=mod go install github.com/influxdata/influxdb/cmd/influxd@v1.8.10
fi
echo "install-deps: ok (influxd at $cache/bin/influxd)"
