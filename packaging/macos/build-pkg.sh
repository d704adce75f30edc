#!/bin/sh
# Build the Warden agent installer package (macOS, pkgbuild + productbuild).
#
# The package installs:
#   /usr/local/bin/warden-agent
#   /Library/Application Support/Warden/trust-root.json   (the pinned trust root)
#   /Library/Application Support/Warden/uninstall.sh
#   /Library/LaunchDaemons/com.warden.agent.system.plist  (enforce --system)
#   /Library/LaunchAgents/com.warden.agent.user.plist     (enforce --user, at login)
# and scripts/postinstall loads both launchd jobs.
#
# --stage-only DIR lays the payload out in DIR and stops; it runs anywhere and
# lets the layout be checked without Apple's tools.
set -eu

usage() {
    cat >&2 <<USAGE
usage: build-pkg.sh [--agent PATH] --trust-root PATH --version VERSION
                    [--sign "Developer ID Installer: ..."] [--output DIR]
       build-pkg.sh [--agent PATH] --trust-root PATH --stage-only DIR
Without --agent, the agent is built from this checkout with the shipping
profile: cargo build --locked --profile dist -p warden-agent.
USAGE
    exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
pkg_id=com.warden.agent.pkg
agent=
trust_root=
version=
sign_identity=
output=.
stage_only=

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --agent) agent=$2 ;;
        --trust-root) trust_root=$2 ;;
        --version) version=$2 ;;
        --sign) sign_identity=$2 ;;
        --output) output=$2 ;;
        --stage-only) stage_only=$2 ;;
        *) usage ;;
    esac
    shift 2
done

if [ -z "$trust_root" ]; then
    usage
fi
if [ -z "$agent" ]; then
    # The shipped binary: the `dist` profile (fat LTO, one codegen unit, stripped).
    repo=$(cd "$here/../.." && pwd)
    (cd "$repo" && cargo build --locked --profile dist -p warden-agent) >&2 || exit 1
    agent="${CARGO_TARGET_DIR:-$repo/target}/dist/warden-agent"
fi
if [ ! -f "$agent" ] || [ ! -x "$agent" ]; then
    echo "build-pkg.sh: agent binary $agent is not an executable file" >&2
    exit 1
fi
if [ ! -s "$trust_root" ]; then
    echo "build-pkg.sh: trust root $trust_root is missing or empty" >&2
    exit 1
fi

# Lay out the payload under $1 with the modes the installed files must have.
stage() {
    root=$1
    support="$root/Library/Application Support/Warden"
    mkdir -p "$root/usr/local/bin" "$support" \
        "$root/Library/LaunchDaemons" "$root/Library/LaunchAgents"
    install -m 0755 "$agent" "$root/usr/local/bin/warden-agent"
    install -m 0644 "$trust_root" "$support/trust-root.json"
    install -m 0755 "$here/uninstall.sh" "$support/uninstall.sh"
    install -m 0644 "$here/LaunchDaemons/com.warden.agent.system.plist" \
        "$root/Library/LaunchDaemons/com.warden.agent.system.plist"
    install -m 0644 "$here/LaunchAgents/com.warden.agent.user.plist" \
        "$root/Library/LaunchAgents/com.warden.agent.user.plist"
    chmod 0755 "$root/usr" "$root/usr/local" "$root/usr/local/bin" "$root/Library" \
        "$root/Library/Application Support" "$support" \
        "$root/Library/LaunchDaemons" "$root/Library/LaunchAgents"
}

if [ -n "$stage_only" ]; then
    stage "$stage_only"
    exit 0
fi

[ -n "$version" ] || usage
for tool in pkgbuild productbuild; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build-pkg.sh: $tool not found (it ships with macOS / Xcode command line tools)" >&2
        exit 1
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage "$work/root"
chmod 0755 "$here/scripts/postinstall"

pkgbuild --root "$work/root" \
    --scripts "$here/scripts" \
    --identifier "$pkg_id" \
    --version "$version" \
    --install-location / \
    --ownership recommended \
    "$work/warden-agent-component.pkg"

mkdir -p "$output"
product="$output/warden-agent-$version.pkg"
if [ -n "$sign_identity" ]; then
    productbuild --sign "$sign_identity" --package "$work/warden-agent-component.pkg" "$product"
else
    productbuild --package "$work/warden-agent-component.pkg" "$product"
fi
echo "$product"
