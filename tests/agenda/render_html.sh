#!/usr/bin/env bash
# render_html.sh AGENDA_TEST PNG_INK — the agenda's HTML (the fixed dataset of
# test_agenda.c) rendered by Debian's headless Chromium to an A4-sized PNG,
# which must exist and not be blank: at least 2 % of its pixels are ink
# (darker than light grey) and it has both the dark-blue headings and the
# red/amber/green badges. Keeps the PNG in $STEPWISE_AGENDA_PNG when set,
# so a person can look at it.
set -euo pipefail
test_bin=$1
png_ink=$2
command -v chromium >/dev/null || {
  echo "render_html: chromium is not installed; run scripts/install-deps" >&2
  exit 1
}
dir=$(mktemp -d /tmp/stepwise-agenda-render-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$test_bin" --html "$dir/agenda.html"
# No network, no profile, no GPU: the page is self-contained.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
  --no-first-run --disable-background-networking --disable-component-update \
  --disable-sync --user-data-dir="$dir/profile" --hide-scrollbars \
  --screenshot="$dir/out.png" --window-size=1240,1754 \
  "file://$dir/agenda.html" >"$dir/chromium.log" 2>&1 || {
  echo "render_html: chromium failed:" >&2
  cat "$dir/chromium.log" >&2
  exit 1
}
[ -s "$dir/out.png" ] || { echo "render_html: no PNG written" >&2; exit 1; }
"$png_ink" "$dir/out.png" 1240 1754
if [ -n "${STEPWISE_AGENDA_PNG:-}" ]; then
  cp "$dir/out.png" "$STEPWISE_AGENDA_PNG"
  cp "$dir/agenda.html" "${STEPWISE_AGENDA_PNG%.png}.html"
fi
echo "render_html: ok"
