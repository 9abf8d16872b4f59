#!/usr/bin/env bash
# Remove what install.sh installed for the current user, as listed in its manifest, then
# refresh the MIME and desktop databases. Your archive and settings (platformdirs user data
# and config folders) are left alone.
#
#   ./uninstall.sh [--quiet]         # same XDG_DATA_HOME, XDG_CONFIG_HOME, PICD_PREFIX as install
set -euo pipefail
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
data=${XDG_DATA_HOME:-$HOME/.local/share}
config=${XDG_CONFIG_HOME:-$HOME/.config}
prefix=${PICD_PREFIX:-$HOME/.local/opt/picd-desktop}
manifest=$prefix/install-manifest
[ -f "$manifest" ] || { echo "uninstall.sh: PICD Desktop is not installed ($manifest missing)" >&2; exit 1; }

mapfile -t entries < "$manifest"
own_mimedb=0 own_mimecache=0 own_mimeapps=0
dirs=()
for entry in "${entries[@]}"; do
  kind=${entry%%:*} path=${entry#*:}
  case "$kind" in
    file) rm -f "$path" ;;
    tree) rm -rf "$path" ;;
    dir) dirs=("$path" "${dirs[@]}") ;;  # reverse order: children before parents
    mimedb) own_mimedb=1 ;;
    mimecache) own_mimecache=1 ;;
    mimeapps-new) own_mimeapps=1 ;;
  esac
done
rm -f "$manifest"

# Default application: drop our association; delete mimeapps.list if install created it and
# nothing else is left in it.
apps="$config/mimeapps.list"
if [ -f "$apps" ]; then
  sed -i '/^application\/x-picd=/d' "$apps"
  if [ $own_mimeapps = 1 ] && ! grep -qv '^\s*\(\[.*\]\)\?\s*$' "$apps"; then rm -f "$apps"; fi
fi

# MIME database: rebuild it, or remove it when install made it and no other type is left.
if [ -d "$data/mime" ]; then
  if [ $own_mimedb = 1 ] && [ -z "$(ls -A "$data/mime/packages" 2>/dev/null)" ]; then
    find "$data/mime" -mindepth 1 -maxdepth 1 ! -name packages -exec rm -rf {} +
  elif command -v update-mime-database >/dev/null; then
    update-mime-database "$data/mime"
  fi
fi

# Desktop database: likewise.
if [ -d "$data/applications" ]; then
  if [ $own_mimecache = 1 ] && ! compgen -G "$data/applications/*.desktop" >/dev/null; then
    rm -f "$data/applications/mimeinfo.cache"
  elif command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$data/applications"
  fi
fi
if [ -f "$data/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
  gtk-update-icon-cache -q -f -t "$data/icons/hicolor" || true
fi

# Directories install.sh created, if now empty.
for d in "${dirs[@]}"; do rmdir "$d" 2>/dev/null || true; done
[ $quiet = 1 ] || echo "uninstalled PICD Desktop from $prefix"
