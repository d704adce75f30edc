#!/bin/sh
# Remove the Warden agent. Run as root. --purge also deletes the agent's state
# (accepted serials, last known-good bundle) and logs; without it a reinstall
# keeps its rollback protection.
set -eu

usage() {
    echo "usage: uninstall.sh [--purge]" >&2
    exit 2
}

purge=0
case "${1:-}" in
    --purge) purge=1 ;;
    "") ;;
    *) usage ;;
esac
[ $# -le 1 ] || usage

if [ "$(id -u)" -ne 0 ]; then
    echo "uninstall.sh: must run as root (sudo)" >&2
    exit 1
fi

support="/Library/Application Support/Warden"
daemon_label=com.warden.agent.system
agent_label=com.warden.agent.user

launchctl bootout "system/$daemon_label" 2>/dev/null || true
console_uid=$(stat -f %u /dev/console)
if [ "$console_uid" -ne 0 ]; then
    launchctl bootout "gui/$console_uid/$agent_label" 2>/dev/null || true
fi

rm -f "/Library/LaunchDaemons/$daemon_label.plist" \
    "/Library/LaunchAgents/$agent_label.plist" \
    /usr/local/bin/warden-agent \
    "$support/trust-root.json" \
    "$support/uninstall.sh"
if [ "$purge" -eq 1 ]; then
    rm -rf "$support" /Library/Logs/Warden
fi
pkgutil --forget com.warden.agent.pkg >/dev/null 2>&1 || true
echo "Warden agent removed"
