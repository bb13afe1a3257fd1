#!/usr/bin/env bash
# Installs what the real-boot harness needs from Debian, when missing.
# INITRD=No keeps the kernel package from building an initramfs for the
# host: the harness builds its own.
set -euo pipefail
packages=(ignition dracut dracut-network qemu-system-x86 linux-image-amd64
          busybox-static gdisk e2fsprogs dosfstools mtools kmod udev python3 make
          mdadm jq xfsprogs policycoreutils selinux-policy-default)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    INITRD=No DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
