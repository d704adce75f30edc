#!/bin/sh
# Jamf Pro computer extension attribute (input type: Script, data type: String).
# Reports the agent's compliance verdict as `<result>…</result>` so smart groups
# can target non-compliant or out-of-date Macs. WARDEN_AGENT overrides the
# binary's path (used by tests).
set -eu

agent=${WARDEN_AGENT:-/usr/local/bin/warden-agent}
if [ ! -x "$agent" ]; then
    echo "<result>not installed</result>"
    exit 0
fi

# `check` exits 1 when non-compliant and 2 when it cannot evaluate; the report
# is what matters here, the exit status only explains a missing report.
status=0
report=$("$agent" check --format jamf 2>/dev/null) || status=$?
case "$report" in
    *"<result>"*"</result>"*) printf '%s\n' "$report" ;;
    *) echo "<result>error: warden-agent exited $status without a report</result>" ;;
esac
exit 0
