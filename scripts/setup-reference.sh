#!/usr/bin/env bash
# Installs what `pcisim record` needs to boot the reference stack for real (docs/recording.md):
#   - Debian's qemu-system-x86 (QEMU 7.2 on bookworm), which ships SeaBIOS and the linuxboot option ROM, and
#     qemu-utils (qemu-img: the empty images a pasted libvirt line's disks are recorded with);
#   - the Debian 6.1 cloud kernel the references were recorded with (reference/*.json `recordedWith.kernel`:
#     vmlinuz-6.1.0-56-cloud-amd64 → linux-image-6.1.0-56-cloud-amd64), unpacked with dpkg -x, not installed,
#     so the host's own kernel and boot loader are never touched. Debian keeps superseded 6.1 ABIs
#     (6.1.0-56 after 6.1.0-57 came out) in bookworm-security under their exact package names.
# Idempotent: re-running skips what is already there. Needs root (or sudo) for apt-get.
#
# Env:
#   PCISIM_KERNEL_DIR   where to unpack the kernel (default: <repo>/.cache/reference-kernel)
#   PCISIM_KERNEL_PKG   exact kernel package to fetch (default: the references' one, above)
#
# `--print-package` prints the kernel package it would fetch and exits (no root, no apt).
# Last line of output: KERNEL=<path to vmlinuz>; `pcisim record` looks there by default.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kernel_dir="${PCISIM_KERNEL_DIR:-$repo_root/.cache/reference-kernel}"

# The kernel package the references name: a newer 6.1 ABI may probe in a slightly different way.
reference_pkg() {
  local kernels
  kernels="$(sed -n 's/^ *"kernel": *"vmlinuz-\(6\.1\.[^"]*\)",\{0,1\}$/\1/p' "$repo_root"/reference/*.json | sort -u)"
  if [[ $(printf '%s\n' "$kernels" | grep -c .) -ne 1 ]]; then
    echo "setup-reference: reference/*.json name $(printf '%s' "$kernels" | tr '\n' ' ')as their kernel, not one 6.1 kernel: set PCISIM_KERNEL_PKG" >&2
    return 1
  fi
  echo "linux-image-$kernels"
}
pkg="${PCISIM_KERNEL_PKG:-}"
if [[ -z $pkg ]]; then pkg="$(reference_pkg)"; fi
if [[ ${1:-} == --print-package ]]; then
  echo "$pkg"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "setup-reference: need root (or sudo) for apt-get" >&2
    exit 1
  fi
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-reference: apt-get not found; this script expects Debian 12 (bookworm) or a derivative" >&2
  exit 1
fi

apt_updated=0
apt_update_once() {
  if [[ $apt_updated -eq 0 ]]; then
    echo "setup-reference: apt-get update"
    "${sudo_cmd[@]}" apt-get update -qq
    apt_updated=1
  fi
}

# 1. QEMU. The lists may be empty or stale on a fresh machine, so update before the first install or lookup.
if ! command -v qemu-system-x86_64 >/dev/null 2>&1 || ! command -v qemu-img >/dev/null 2>&1; then
  apt_update_once
  echo "setup-reference: installing qemu-system-x86"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qemu-system-x86 qemu-utils >/dev/null
fi
qemu_version="$(qemu-system-x86_64 --version | head -n1)"
echo "setup-reference: $qemu_version"

# 2. The kernel package (chosen above): check that apt knows it, with fresh lists if needed.
known_pkg() { [[ -n $(apt-cache show --no-all-versions "$pkg" 2>/dev/null) ]]; }
if ! known_pkg; then
  apt_update_once
  if ! known_pkg; then
    echo "setup-reference: apt knows no package $pkg (is bookworm-security in the apt sources?); PCISIM_KERNEL_PKG names another" >&2
    exit 1
  fi
fi
# Debian names the package after the ABI (6.1.0-56); the file inside is vmlinuz-<abi>-cloud-amd64.
abi="${pkg#linux-image-}"
vmlinuz="$kernel_dir/boot/vmlinuz-$abi"

if [[ ! -f $vmlinuz ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "setup-reference: downloading $pkg"
  # apt-get download runs as the _apt user when it can; a world-writable temp dir keeps it quiet.
  chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -qq "$pkg" 2>/dev/null) || {
    apt_update_once
    (cd "$tmp" && apt-get download -qq "$pkg")
  }
  deb="$(ls "$tmp"/*.deb)"
  mkdir -p "$kernel_dir"
  dpkg -x "$deb" "$kernel_dir"
  dpkg-deb -f "$deb" Package Version >"$kernel_dir/PACKAGE-$abi"
fi
# PACKAGE names the package of the kernel the vmlinuz link points to (several may be unpacked side by side).
if [[ -f $kernel_dir/PACKAGE-$abi ]]; then cp "$kernel_dir/PACKAGE-$abi" "$kernel_dir/PACKAGE"; fi
if [[ ! -f $vmlinuz ]]; then
  echo "setup-reference: $pkg unpacked but $vmlinuz is missing" >&2
  exit 1
fi
# A cache dir under the repo ignores itself, so nothing unpacked here is ever committed.
if [[ -z ${PCISIM_KERNEL_DIR:-} && ! -f $repo_root/.cache/.gitignore ]]; then
  printf '# written by scripts/setup-reference.sh\n*\n' >"$repo_root/.cache/.gitignore"
fi
# The recorder reads this symlink when no --kernel is given.
ln -sfn "boot/vmlinuz-$abi" "$kernel_dir/vmlinuz"

echo "setup-reference: kernel $pkg at $vmlinuz"
echo "KERNEL=$vmlinuz"
