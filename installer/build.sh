#!/usr/bin/env bash
# Build the one-folder bundle installer/dist/picd-desktop/ (executables `picd` and
# `picd-desktop`) and the Linux tarball installer/dist/picd-desktop-<version>-linux-<arch>.tar.gz.
#
#   installer/build.sh            # from a clean checkout: runs scripts/setup.sh first if needed
#   PICD_BUNDLE_TORCH=0 installer/build.sh   # without torch (see installer/README.md)
#
# Reproducible: the pinned venv, PyInstaller into .venv if missing, a clean work dir,
# SOURCE_DATE_EPOCH from the last commit, sorted tar members with fixed owner and mtime.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py=.venv/bin/python
dist=installer/dist
work=build/pyinstaller

[ -x "$py" ] || bash scripts/setup.sh
"$py" -c "import picd_desktop" 2>/dev/null || bash scripts/setup.sh
# The versions this spec was built and checked with (hooks decide what gets collected).
pyi=(pyinstaller==6.22.3 pyinstaller-hooks-contrib==2026.9)
if ! "$py" -m pip show -q "${pyi[@]%%==*}" >/dev/null 2>&1 \
   || [ "$("$py" -c 'import PyInstaller; print(PyInstaller.__version__)')" != "${pyi[0]#*==}" ]; then
  echo "build: installing ${pyi[*]} into .venv"
  "$py" -m pip install -q "${pyi[@]}"
fi

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export PYTHONHASHSEED=0
rm -rf "$work" "$dist/picd-desktop"
"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$dist" --workpath "$work" installer/picd-desktop.spec

bundle="$dist/picd-desktop"
[ -x "$bundle/picd" ] && [ -x "$bundle/picd-desktop" ] || { echo "build: executables missing" >&2; exit 1; }
version=$("$bundle/picd" --version | awk '{print $2}')

# Linux tarball: the bundle plus the desktop integration and its install/uninstall scripts.
if [ "$(uname -s)" = Linux ]; then
  arch=$(uname -m)
  name="picd-desktop-$version-linux-$arch"
  stage="$work/tar/$name"
  rm -rf "$work/tar"; mkdir -p "$stage"
  cp -a "$bundle" "$stage/picd-desktop"
  cp -a installer/linux/. "$stage/"
  cp installer/README.md "$stage/README.md"
  tarball="$root/$dist/$name.tar.gz"
  (cd "$work/tar" && tar --sort=name --owner=0 --group=0 --numeric-owner \
     --mtime="@$SOURCE_DATE_EPOCH" -cf - "$name" | gzip -n -6 > "$tarball")
  rm -rf "$work/tar"
  echo "build: tarball $(du -h "$tarball" | cut -f1) $dist/$name.tar.gz"
fi

echo "build: bundle $(du -sh "$bundle" | cut -f1) $bundle (picd $version)"
