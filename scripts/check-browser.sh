#!/bin/sh
# What `make test` needs besides Python: Debian's chromium, which the browser tests drive
# through Playwright (Playwright never downloads a browser here). Checked before the
# suite runs, not found skipped at the end of a long run:
# - present: nothing to do;
# - missing, as root with apt-get: installed (`apt-get install chromium`);
# - missing otherwise: says what is missing and how to get it, and stops (exit 1).
# MUARA_SKIP_BROWSER=1 runs the suite without the browser tests (they are then skipped).
# CHROMIUM names the browser to use (default: `chromium` on the PATH, else /usr/bin/chromium).
CHROMIUM="${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}"
[ -x "$CHROMIUM" ] && exit 0
if [ "${MUARA_SKIP_BROWSER:-0}" = "1" ]; then
  echo "make test: chromium is missing; the browser tests will be skipped (MUARA_SKIP_BROWSER=1)."
  exit 0
fi
if [ "$(id -u)" = "0" ] && [ "${MUARA_NO_APT:-0}" != "1" ] && command -v apt-get >/dev/null 2>&1; then
  echo "make test: installing chromium for the browser tests (apt-get install chromium)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && [ -x "$(command -v chromium || echo /usr/bin/chromium)" ] && exit 0
  echo "make test: apt-get could not install chromium." >&2
fi
cat >&2 <<MSG
make test: chromium is missing ($CHROMIUM not found).
  The browser tests (tests/test_browser*.py) drive Debian's chromium through Playwright.
  Install it:          sudo apt-get install chromium
  or name another one: make test CHROMIUM=/path/to/chromium
  or run without them: make test MUARA_SKIP_BROWSER=1   (the browser tests are skipped)
MSG
exit 1
