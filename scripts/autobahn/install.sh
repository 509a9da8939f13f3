#!/usr/bin/env bash
# Install Autobahn|Testsuite's `wstest` (Python 2.7 only) reproducibly.
#
#   WSTEST="$(bash scripts/autobahn/install.sh)"   # progress -> stderr, path -> stdout
#   "$WSTEST" -m fuzzingserver -s spec.json
#
# Steps (each skipped when already done, each timed):
#   1. python2.7 + python2.7-dev from Debian *bullseye* (bookworm has no python2),
#      via a temporary bullseye apt source and an apt pin of priority 1 so that
#      nothing else is taken from bullseye and no bookworm package is touched.
#   2. hash-pinned bootstrap wheels (virtualenv 16.7.12, pip 20.3.4, setuptools
#      44.1.1, wheel 0.37.1) downloaded with python3's pip (bootstrap-py27.txt).
#   3. a Python 2.7 virtualenv at $AUTOBAHN_PREFIX (default <repo>/.autobahn/py27).
#   4. `pip install --no-deps --require-hashes -r requirements-py27.txt` into it.
#   5. check: `wstest -a` reports AutobahnTestSuite 0.8.2.
#
# Environment knobs (all optional):
#   AUTOBAHN_HOME             work dir for downloads/logs (default <repo>/.autobahn)
#   AUTOBAHN_PREFIX           virtualenv location          (default $AUTOBAHN_HOME/py27)
#   AUTOBAHN_BULLSEYE_MIRROR  apt mirror for bullseye      (default http://deb.debian.org/debian)
#   AUTOBAHN_KEEP_BULLSEYE_SOURCE=1  keep the bullseye apt source after installing
#                             (default: it is removed again; the pin file stays)
#   AUTOBAHN_PYTHON3          python3 whose pip downloads the bootstrap wheels
#
# Exit status: 0 and the wstest path on stdout on success; non-zero with a
# message (and the tail of the step's log) on stderr on failure.
set -Eeuo pipefail
CURRENT_STEP="setup"
CURRENT_LOG=""

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
AUTOBAHN_HOME=${AUTOBAHN_HOME:-$REPO_ROOT/.autobahn}
PREFIX=${AUTOBAHN_PREFIX:-$AUTOBAHN_HOME/py27}
BULLSEYE_MIRROR=${AUTOBAHN_BULLSEYE_MIRROR:-http://deb.debian.org/debian}
KEEP_SOURCE=${AUTOBAHN_KEEP_BULLSEYE_SOURCE:-0}

REQ=$SCRIPT_DIR/requirements-py27.txt
BOOT_REQ=$SCRIPT_DIR/bootstrap-py27.txt
BOOT_DIR=$AUTOBAHN_HOME/bootstrap
LOG_DIR=$AUTOBAHN_HOME/logs
PY27=/usr/bin/python2.7          # absolute: a pyenv shim named python2.7 may shadow it
APT_SOURCE=/etc/apt/sources.list.d/autobahn-bullseye.sources
APT_PIN=/etc/apt/preferences.d/autobahn-bullseye
STAMP=$PREFIX/.autobahn-install.sha256
EXPECTED_TESTSUITE_VERSION=0.8.2

export DEBIAN_FRONTEND=noninteractive
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# python2.7's pip must not pick up a user site or a foreign PYTHONPATH/PYTHONHOME
unset PYTHONPATH PYTHONHOME PYTHONUSERBASE PIP_REQUIRE_VIRTUALENV || true

log() { printf '[autobahn-install] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  if [ -n "${CURRENT_LOG:-}" ] && [ -s "$CURRENT_LOG" ]; then
    log "---- last 40 lines of $CURRENT_LOG ----"
    tail -n 40 "$CURRENT_LOG" >&2 || true
    log "---- end of log ----"
  fi
  exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

on_err() {
  local rc=$?
  trap - ERR
  log "FAILED (exit $rc) in step: $CURRENT_STEP"
  if [ -n "$CURRENT_LOG" ] && [ -s "$CURRENT_LOG" ]; then
    log "---- last 40 lines of $CURRENT_LOG ----"
    tail -n 40 "$CURRENT_LOG" >&2 || true
    log "---- end of log ----"
  fi
  exit "$rc"
}
trap on_err ERR

STEP_T0=0
step_begin() { # $1 = title, $2 = log name
  CURRENT_STEP=$1
  CURRENT_LOG=$LOG_DIR/$2.log
  : >"$CURRENT_LOG"
  STEP_T0=$(now)
  log "==> $1"
}
step_end() { # $1 = outcome text
  log "    done: $1 [$(elapsed "$STEP_T0")]"
}
run() { # run a command, output appended to the step log
  echo "+ $*" >>"$CURRENT_LOG"
  "$@" >>"$CURRENT_LOG" 2>&1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n -E "$@"
  else die "root (or passwordless sudo) is needed for: $*"
  fi
}

dpkg_installed() { # all given packages installed?
  local p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || return 1
  done
}

sha256_of() { sha256sum "$1" | awk '{print $1}'; }

T_ALL=$(now)
mkdir -p "$AUTOBAHN_HOME" "$LOG_DIR"

# One install at a time (CI may call this from several jobs).
exec 9>"$AUTOBAHN_HOME/.install.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 900 9 || die "could not take lock $AUTOBAHN_HOME/.install.lock within 900s"
fi

# ---------------------------------------------------------------- preflight
step_begin "preflight checks" preflight
[ -f "$REQ" ] || die "missing $REQ"
[ -f "$BOOT_REQ" ] || die "missing $BOOT_REQ"
command -v dpkg >/dev/null 2>&1 || die "this installer needs a Debian system (dpkg/apt not found)"
ARCH=$(dpkg --print-architecture)
[ "$ARCH" = amd64 ] || die "architecture $ARCH unsupported: the hashes in requirements-py27.txt are for x86_64 (cp27mu manylinux) wheels"
. /etc/os-release 2>/dev/null || true
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
  log "    warning: written for Debian 12 bookworm, this is '${PRETTY_NAME:-unknown}'"
fi
step_end "Debian ${VERSION_ID:-?} ${ARCH}, home=$AUTOBAHN_HOME prefix=$PREFIX"

# ---------------------------------------------------------------- 1. apt
APT_PKGS=(python2.7 python2.7-dev)
BUILD_PKGS=()
command -v gcc >/dev/null 2>&1 || BUILD_PKGS+=(gcc libc6-dev)

step_begin "1/5 python2.7 + headers from Debian bullseye (apt)" apt
if dpkg_installed "${APT_PKGS[@]}" && [ -x "$PY27" ] && [ ${#BUILD_PKGS[@]} -eq 0 ]; then
  step_end "already installed ($(dpkg-query -W -f='${Version}' python2.7)), skipped"
else
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found"
  SOURCE_TEXT="# Added by scripts/autobahn/install.sh: only for python2.7 (bookworm has none).
Types: deb
URIs: $BULLSEYE_MIRROR
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"
  PIN_TEXT="# Added by scripts/autobahn/install.sh: never prefer bullseye over bookworm.
# Priority 1 = a bullseye version is only used for a package that has no other
# candidate and is not installed (python2.7, libpython2.7-*, libssl1.1, libffi7),
# so nothing from bookworm is ever downgraded or replaced.
Package: *
Pin: release n=bullseye
Pin-Priority: 1
"
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] ||
    die "/usr/share/keyrings/debian-archive-keyring.gpg missing (apt-get install debian-archive-keyring)"
  echo "$PIN_TEXT" | as_root tee "$APT_PIN" >/dev/null
  echo "$SOURCE_TEXT" | as_root tee "$APT_SOURCE" >/dev/null
  log "    wrote $APT_SOURCE and $APT_PIN (Pin-Priority 1); apt-get update ..."
  if ! run as_root apt-get -o DPkg::Lock::Timeout=300 update; then
    die "apt-get update failed (is $BULLSEYE_MIRROR reachable and does it still carry bullseye?) - see $CURRENT_LOG"
  fi
  log "    apt-get install ${APT_PKGS[*]} ${BUILD_PKGS[*]} ..."
  if ! run as_root apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends \
      "${APT_PKGS[@]}" "${BUILD_PKGS[@]}"; then
    die "apt-get install ${APT_PKGS[*]} failed - see $CURRENT_LOG"
  fi
  if [ "$KEEP_SOURCE" != 1 ]; then
    # Installed packages stay; later `apt-get update`s no longer depend on bullseye.
    as_root rm -f "$APT_SOURCE"
    log "    removed $APT_SOURCE again (pin file kept; AUTOBAHN_KEEP_BULLSEYE_SOURCE=1 keeps both)"
  fi
  step_end "installed python2.7 $(dpkg-query -W -f='${Version}' python2.7)"
fi
"$PY27" -c 'import sys; assert sys.version_info[:2] == (2, 7); assert sys.maxunicode > 0xffff, "need UCS4 (cp27mu) build"' ||
  die "$PY27 is not a working UCS4 Python 2.7"
"$PY27" -c 'import ssl, zlib, ctypes, sqlite3, hashlib' >>"$CURRENT_LOG" 2>&1 ||
  die "$PY27 lacks ssl/zlib/ctypes/sqlite3 modules"
[ -f /usr/include/python2.7/Python.h ] || die "python2.7 headers missing (/usr/include/python2.7/Python.h)"

# ---------------------------------------------------------------- 2. bootstrap wheels
BOOT_SUM=$(sha256_of "$BOOT_REQ")
step_begin "2/5 bootstrap wheels (virtualenv, pip, setuptools, wheel) via python3 pip" bootstrap
if [ -f "$BOOT_DIR/.ok" ] && [ "$(cat "$BOOT_DIR/.ok")" = "$BOOT_SUM" ] &&
   [ -f "$BOOT_DIR/virtualenv/virtualenv.py" ]; then
  step_end "already downloaded, skipped"
else
  PY3=""
  for cand in ${AUTOBAHN_PYTHON3:-} python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -m pip --version >/dev/null 2>&1; then
      PY3=$cand; break
    fi
  done
  if [ -z "$PY3" ]; then
    log "    no python3 with pip found; installing Debian's python3-pip"
    run as_root apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends python3-pip ||
      die "could not install python3-pip"
    PY3=/usr/bin/python3
  fi
  rm -rf "$BOOT_DIR"
  mkdir -p "$BOOT_DIR"
  if ! run "$PY3" -m pip download --no-cache-dir --no-deps --only-binary=:all: \
      --python-version 2.7 --require-hashes \
      -r "$BOOT_REQ" -d "$BOOT_DIR"; then
    die "downloading bootstrap wheels from PyPI failed - see $CURRENT_LOG"
  fi
  VENV_WHL=$(ls "$BOOT_DIR"/virtualenv-*.whl)
  run "$PY3" -m zipfile -e "$VENV_WHL" "$BOOT_DIR/virtualenv"
  echo "$BOOT_SUM" >"$BOOT_DIR/.ok"
  step_end "$(cd "$BOOT_DIR" && ls ./*.whl | xargs -n1 basename | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- 3+4. virtualenv + requirements
WANT_STAMP="$(sha256_of "$REQ") $BOOT_SUM $(sha256_of "$PY27")"
env_ok() {
  [ -x "$PREFIX/bin/python" ] && [ -x "$PREFIX/bin/wstest" ] && [ -f "$STAMP" ] &&
  [ "$(cat "$STAMP")" = "$WANT_STAMP" ] &&
  case "$(head -n1 "$PREFIX/bin/wstest")" in "#!$PREFIX/bin/python"*) true ;; *) false ;; esac &&
  "$PREFIX/bin/python" -c 'import sys; assert sys.version_info[:2] == (2, 7)' >/dev/null 2>&1
}

step_begin "3/5 Python 2.7 virtualenv at $PREFIX" venv
if env_ok; then
  step_end "up to date (stamp matches), skipped"
  SKIP_REQS=1
else
  SKIP_REQS=0
  [ -e "$PREFIX" ] && log "    (re)creating: previous env missing, stale or from other pins"
  rm -rf "$PREFIX"
  mkdir -p "$(dirname "$PREFIX")"
  run "$PY27" "$BOOT_DIR/virtualenv/virtualenv.py" --no-download \
      --extra-search-dir "$BOOT_DIR" "$PREFIX" ||
    die "virtualenv creation failed - see $CURRENT_LOG"
  # seed versions must be exactly the bootstrap pins
  run "$PREFIX/bin/python" -m pip --version
  SEEDED=$("$PREFIX/bin/python" -m pip freeze --all 2>/dev/null | grep -iE '^(pip|setuptools|wheel)==' | sort -f | tr '\n' ' ')
  for pin in pip==20.3.4 setuptools==44.1.1 wheel==0.37.1; do
    case " $SEEDED" in *" $pin "*) ;; *) die "virtualenv seeded '$SEEDED', expected $pin";; esac
  done
  step_end "seeded with $SEEDED"
fi

step_begin "4/5 pinned requirements (requirements-py27.txt, --require-hashes)" pip
if [ "$SKIP_REQS" = 1 ]; then
  step_end "up to date, skipped"
else
  command -v gcc >/dev/null 2>&1 || die "gcc is needed to build zope.interface and wsaccel"
  # --no-deps: the file is the complete closure; --no-build-isolation: sdists are
  # built with the pinned setuptools 44.1.1/wheel 0.37.1 instead of whatever PyPI
  # serves at build time (wsaccel ships pre-generated C, so no Cython is needed).
  if ! run "$PREFIX/bin/python" -m pip install --no-cache-dir --no-deps --require-hashes \
      --no-build-isolation --progress-bar off -r "$REQ"; then
    die "pip install -r requirements-py27.txt failed - see $CURRENT_LOG"
  fi
  run "$PREFIX/bin/python" -m pip check || die "pip check reports broken requirements - see $CURRENT_LOG"
  # every pin must be installed at exactly that version
  FROZEN=$("$PREFIX/bin/python" -m pip freeze --all 2>/dev/null | tr 'A-Z_.' 'a-z--')
  while read -r pin; do
    norm=$(echo "$pin" | tr 'A-Z_.' 'a-z--')
    grep -qxF "$norm" <<<"$FROZEN" || die "after install, $pin is not what pip freeze shows"
  done < <(sed -n 's/^\([A-Za-z0-9_.-]*==[^ ]*\) .*/\1/p' "$REQ")
  echo "$WANT_STAMP" >"$STAMP"
  step_end "$(grep -c -- '--hash=' "$REQ") packages installed and verified"
fi

# ---------------------------------------------------------------- 5. smoke check
step_begin "5/5 check wstest" check
WSTEST=$PREFIX/bin/wstest
VERSIONS=$("$WSTEST" -a 2>>"$CURRENT_LOG") || die "'$WSTEST -a' failed - see $CURRENT_LOG"
echo "$VERSIONS" >>"$CURRENT_LOG"
grep -q "AutobahnTestSuite $EXPECTED_TESTSUITE_VERSION" <<<"$VERSIONS" ||
  die "'$WSTEST -a' printed '$VERSIONS', expected AutobahnTestSuite $EXPECTED_TESTSUITE_VERSION"
step_end "$(echo "$VERSIONS" | tr '\n' ' ')"

CURRENT_STEP="done"
log "total: $(elapsed "$T_ALL"); footprint: $(du -sh "$PREFIX" 2>/dev/null | cut -f1) in $PREFIX"
log "wstest: $WSTEST"
echo "$WSTEST"
