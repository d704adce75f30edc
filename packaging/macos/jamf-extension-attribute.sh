#!/bin/sh
# Jamf Pro computer extension attribute (input type: Script, data type: String).
# Reports the agent's compliance verdict as `<result>…</result>` so smart groups
# can target non-compliant or out-of-date Macs: system mode's verdict first, then
# the last result user mode recorded for the user at the console, in one line.
# WARDEN_AGENT overrides the binary's path, WARDEN_CONSOLE_USER and
# WARDEN_CONSOLE_HOME the console user and their home (used by tests).
set -eu

agent=${WARDEN_AGENT:-/usr/local/bin/warden-agent}
if [ ! -x "$agent" ]; then
    echo "<result>not installed</result>"
    exit 0
fi

# The console user (none at the login window), and their home from the directory.
user=${WARDEN_CONSOLE_USER-$(stat -f %Su /dev/console 2>/dev/null || true)}
home=${WARDEN_CONSOLE_HOME-}
case "$user" in
    "" | root | loginwindow | _mbsetupuser) user= ;;
    *)
        if [ -z "$home" ]; then
            home=$(dscl . -read "/Users/$user" NFSHomeDirectory 2>/dev/null |
                sed -n 's/^NFSHomeDirectory: //p')
        fi
        ;;
esac

# `check` exits 1 when non-compliant and 2 when it cannot evaluate; the report
# is what matters here, the exit status only explains a missing report.
status=0
if [ -n "$user" ] && [ -n "$home" ]; then
    report=$("$agent" check --format jamf --console-user "$user" --console-home "$home" 2>/dev/null) || status=$?
else
    report=$("$agent" check --format jamf 2>/dev/null) || status=$?
fi
case "$report" in
    *"<result>"*"</result>"*) printf '%s\n' "$report" ;;
    *) echo "<result>error: warden-agent exited $status without a report</result>" ;;
esac
exit 0
