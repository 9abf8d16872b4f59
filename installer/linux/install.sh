#!/usr/bin/env bash
# Install PICD Desktop for the current user (no root): the bundle, `picd` and `picd-desktop` in
# ~/.local/bin, the application/x-picd MIME type, the desktop entry, icons, and PICD Desktop as
# the default application for .picd files.
#
#   ./install.sh [--bundle DIR]      # DIR: the one-folder bundle (default: next to this script,
#                                    # or installer/dist/picd-desktop in a source checkout)
#
# Honours XDG_DATA_HOME, XDG_CONFIG_HOME and PICD_PREFIX (bundle location, default
# ~/.local/opt/picd-desktop). Everything it creates is listed in $PICD_PREFIX/install-manifest,
# which uninstall.sh reads to remove exactly that. Re-running it reinstalls (upgrade).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bundle=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=${2:?--bundle needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$bundle" ]; then
  for c in "$here/picd-desktop" "$here/../dist/picd-desktop"; do
    [ -x "$c/picd-desktop" ] && { bundle=$c; break; }
  done
fi
[ -n "$bundle" ] && [ -x "$bundle/picd-desktop" ] && [ -x "$bundle/picd" ] || {
  echo "install.sh: no bundle found (build it with installer/build.sh or pass --bundle DIR)" >&2
  exit 1
}
bundle=$(cd "$bundle" && pwd)

for tool in update-mime-database update-desktop-database xdg-mime; do
  command -v "$tool" >/dev/null || {
    echo "install.sh: $tool is missing: apt-get install shared-mime-info desktop-file-utils xdg-utils" >&2
    exit 1
  }
done

data=${XDG_DATA_HOME:-$HOME/.local/share}
config=${XDG_CONFIG_HOME:-$HOME/.config}
prefix=${PICD_PREFIX:-$HOME/.local/opt/picd-desktop}
bindir=$HOME/.local/bin
manifest=$prefix/install-manifest

# A previous install is removed first, so the manifest always describes this one.
[ -f "$manifest" ] && "$here/uninstall.sh" --quiet

created=()  # every directory this script creates (parents first) and every file it writes
mkdirs() {  # mkdir -p that records the directories it really creates
  local d=$1 missing=()
  while [ ! -d "$d" ]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
  for d in "${missing[@]}"; do mkdir "$d"; created+=("dir:$d"); done
}
put() {  # put SRC DEST [MODE]: copy one file, recording it
  mkdirs "$(dirname "$2")"
  install -m "${3:-0644}" "$1" "$2"
  created+=("file:$2")
}

mkdirs "$prefix"
cp -a "$bundle" "$prefix/bundle"
created+=("tree:$prefix/bundle")

mkdirs "$bindir"
for exe in picd picd-desktop; do
  ln -sfn "$prefix/bundle/$exe" "$bindir/$exe"
  created+=("file:$bindir/$exe")
done

# MIME type (glob *.picd and magic bytes) and its database.
put "$here/picd-desktop-mime.xml" "$data/mime/packages/picd-desktop.xml"
[ -f "$data/mime/mime.cache" ] || created+=("mimedb:$data/mime")
update-mime-database "$data/mime"

# Icons: the app and the document type, hicolor theme.
for png in "$here"/icons/picd-desktop-*.png; do
  size=${png##*-}; size=${size%.png}
  for name in apps/picd-desktop mimetypes/application-x-picd; do
    put "$png" "$data/icons/hicolor/${size}x${size}/$name.png"
  done
done
for name in apps/picd-desktop mimetypes/application-x-picd; do
  put "$here/icons/picd-desktop.svg" "$data/icons/hicolor/scalable/$name.svg"
done
if [ -f "$data/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
  gtk-update-icon-cache -q -f -t "$data/icons/hicolor" || true
fi

# Desktop entry with absolute paths (~/.local/bin is not always on a session's PATH).
tmp=$(mktemp)
sed -e "s|^Exec=picd-desktop|Exec=$prefix/bundle/picd-desktop|" \
    -e "s|^TryExec=picd-desktop|TryExec=$prefix/bundle/picd-desktop|" \
    "$here/picd-desktop.desktop" > "$tmp"
put "$tmp" "$data/applications/picd-desktop.desktop"
rm -f "$tmp"
[ -f "$data/applications/mimeinfo.cache" ] || created+=("mimecache:$data/applications/mimeinfo.cache")
update-desktop-database -q "$data/applications"

# Default application for .picd (writes $XDG_CONFIG_HOME/mimeapps.list).
[ -f "$config/mimeapps.list" ] || { mkdirs "$config"; created+=("mimeapps-new:$config/mimeapps.list"); }
XDG_CONFIG_HOME=$config xdg-mime default picd-desktop.desktop application/x-picd

# Tesseract is a system dependency (encoding and verify need it; decoding does not).
if ! command -v tesseract >/dev/null; then
  echo "install.sh: note: Tesseract is not installed; encoding needs it:" \
       "sudo apt-get install tesseract-ocr tesseract-ocr-eng" >&2
elif ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  echo "install.sh: note: Tesseract has no English data: sudo apt-get install tesseract-ocr-eng" >&2
fi

printf '%s\n' "${created[@]}" > "$manifest"
echo "installed PICD Desktop in $prefix ($bindir/picd, $bindir/picd-desktop); .picd opens with it"
case ":$PATH:" in *":$bindir:"*) ;; *) echo "note: add $bindir to PATH for the picd command";; esac
