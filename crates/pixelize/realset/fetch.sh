#!/usr/bin/env bash
# Rebuild the real-image set from its public sources, checked against manifest.tsv's sha256:
#   crates/pixelize/realset/fetch.sh DEST      → DEST/sdxl/*.png, DEST/ai-mit/*.png, DEST/other/*.png
# The images are not in git (see README.md: most have no licence); this needs git and the network.
# REALSET_GIT_BASE replaces https://github.com (a mirror holding OWNER/NAME.git), e.g. to test offline.
set -euo pipefail
dest="${1:?usage: fetch.sh DEST}"
here="$(cd "$(dirname "$0")" && pwd)"
base="${REALSET_GIT_BASE:-https://github.com}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
tail -n +2 "$here/manifest.tsv" | while IFS=$'\t' read -r set file sha size repo commit path _; do
  mkdir -p "$dest/$set"
  out="$dest/$set/$file"
  if [ -f "$out" ] && echo "$sha  $out" | sha256sum -c --status; then continue; fi
  git_dir="$work/${repo//\//+}.git"
  if [ ! -d "$git_dir" ]; then
    git clone --quiet --bare --filter=blob:none "$base/$repo.git" "$git_dir"
  fi
  git --git-dir="$git_dir" show "$commit:$path" > "$out"
  echo "$sha  $out" | sha256sum -c --status || { echo "checksum mismatch: $out ($repo $path)" >&2; exit 1; }
  echo "$out"
done
