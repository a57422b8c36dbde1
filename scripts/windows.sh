#!/usr/bin/env bash
# scripts/windows.sh [build|test]: brokerlink.dll for Windows, built and tested on Linux.
#
#   build  (make windows)       builds brokerlink.dll for x86_64-pc-windows-gnu (64-bit Office,
#                               .NET x64) and i686-pc-windows-gnu (32-bit Office) and writes one
#                               download-ready package per architecture to dist/.
#   test   (make test-windows)  build, then under Wine: the export tables against the header,
#                               tests/windows/wintest.c against each DLL (every export, the stdcall
#                               twins, Angel One and Noren OAuth flows against a Linux brokersim on
#                               127.0.0.1, and over HTTPS), and the library's unit tests
#                               (cargo test --lib) for x86_64-pc-windows-gnu.
#
# Everything Windows-side runs in a Debian trixie chroot (rustc-web + rust-web-src for
# -Zbuild-std, MinGW-w64, Wine 10 with wine32), made with debootstrap the first time and reused
# after: BROKERLINK_WIN_CHROOT (default /var/tmp/brokerlink-win-chroot: outside the clone, so
# `cargo clean` and a fresh clone keep it, and under /var/tmp, which survives reboots). Needs
# root (debootstrap, chroot, mount), the Debian mirror and crates.io. The chroot's cargo builds
# into target/windows/ of this clone; ARCHS="x86_64" limits the architectures.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
MODE=${1:-build}
CHROOT=${BROKERLINK_WIN_CHROOT:-/var/tmp/brokerlink-win-chroot}
ARCHS=${ARCHS:-"x86_64 i686"}
MIRROR=${BROKERLINK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Bump when the chroot's recipe below changes: a kept chroot is then brought up to date.
RECIPE=1
TW=target/windows            # the chroot cargo's target dir, inside this clone
# Wine's own messages are off; e.g. WINEDEBUG=warn+crypt,trace+chain shows the certificate checks.
export WINEDEBUG=${WINEDEBUG:--all}
t0=$SECONDS

say() { printf '[windows +%ss] %s\n' "$((SECONDS - t0))" "$*"; }
die() { printf 'windows.sh: %s\n' "$*" >&2; exit 1; }

case "$MODE" in
    build | test) ;;
    *) die "usage: scripts/windows.sh [build|test]" ;;
esac
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mount); run it as root or with sudo"

# On exit: stop the simulators (closing their stdin stops them and removes brokersim's CA file;
# kill what is left), and unmount anything left under the chroot. in_chroot's mounts live in a
# private mount namespace and vanish with it, so this finds something only if a mount was made
# by hand or leaked from an older script.
sim_pids=() sim_fds=()
cleanup() {
    local fd pid mnt
    for fd in "${sim_fds[@]}"; do exec {fd}>&-; done
    if [ ${#sim_pids[@]} -gt 0 ]; then
        sleep 0.5
        for pid in "${sim_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    fi
    # No mount left over is the usual case: grep then finds nothing, which must not fail the
    # script (errexit and pipefail hold in the trap too).
    findmnt -rno TARGET 2>/dev/null | grep "^$CHROOT/" | sort -r | while read -r mnt; do
        umount -l "$mnt" 2>/dev/null || true
    done || true
}
trap cleanup EXIT

# Runs a command in the chroot with /proc, /dev (with /dev/pts) and this clone (at /build)
# mounted in a private mount namespace: the mounts exist only for that command and vanish with
# it, even when the script is killed. The environment is clean (no host CARGO_HOME, PATH...).
in_chroot() {
    unshare --mount --propagation private -- /bin/sh -ec '
        C=$1 SRC=$2; shift 2
        mount -t proc proc "$C/proc"
        mount --rbind /dev "$C/dev"
        mount --bind "$SRC" "$C/build"
        exec chroot "$C" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
            XDG_RUNTIME_DIR=/tmp CARGO_HTTP_CAINFO=/etc/host-ca.crt WINEPREFIX=/root/.wine \
            WINEDEBUG="$WINEDEBUG" "$@"' sh "$CHROOT" "$SRC" "$@"
}

# --- 1. The chroot ---------------------------------------------------------------------------
# About 2 minutes the first time; a kept chroot with the current RECIPE costs nothing.
make_chroot() {
    if [ ! -e "$CHROOT/.debootstrap-done" ]; then
        say "making a Debian trixie chroot in $CHROOT (debootstrap, about a minute)"
        if ! command -v debootstrap >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap >/dev/null
        fi
        if findmnt -rno TARGET | grep -q "^$CHROOT/"; then
            die "something is mounted under $CHROOT: unmount it first"
        fi
        rm -rf "$CHROOT"
        debootstrap --variant=minbase trixie "$CHROOT" "$MIRROR" >"$CHROOT.debootstrap.log" 2>&1 \
            || die "debootstrap failed; see $CHROOT.debootstrap.log"
        mkdir -p "$CHROOT/build"
        touch "$CHROOT/.debootstrap-done"
    fi
    if [ "$(cat "$CHROOT/.brokerlink-recipe" 2>/dev/null)" != "$RECIPE" ]; then
        say "installing rustc-web, rust-web-src, MinGW-w64 and Wine 10 in the chroot"
        in_chroot /bin/sh -ec '
            dpkg --add-architecture i386
            apt-get -o DPkg::Lock::Timeout=600 update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 \
                wine wine64 wine32:i386 >/dev/null
            apt-get clean
            # rustup ships rsbegin.o and rsend.o in rust-std for *-windows-gnu; -Zbuild-std does
            # not build them and the i686 link needs them: compile them from rust-src into the
            # sysroot, where rustc looks for them.
            R=$(rustc --print sysroot)/lib/rustlib
            for T in x86_64-pc-windows-gnu i686-pc-windows-gnu; do
                mkdir -p "$R/$T/lib"
                for f in rsbegin rsend; do
                    RUSTC_BOOTSTRAP=1 rustc --target "$T" --emit=obj -o "$R/$T/lib/$f.o" \
                        "$R/src/rust/library/rtstartup/$f.rs"
                done
            done
            # The Wine prefix, once (without the Mono and Gecko installers: nothing here needs them).
            rm -rf /root/.wine
            WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i >/dev/null 2>&1
            wineserver -w'
        echo "$RECIPE" >"$CHROOT/.brokerlink-recipe"
        say "chroot ready: $(in_chroot /bin/sh -c 'rustc --version; x86_64-w64-mingw32-gcc --version | head -n 1; wine --version' | paste -sd ';')"
    fi
    # cargo in the chroot trusts what the host trusts (a TLS-inspecting proxy's CA, for one).
    cp /etc/ssl/certs/ca-certificates.crt "$CHROOT/etc/host-ca.crt"
    # A minbase chroot has no /etc/hosts: without it "localhost" does not resolve under Wine.
    if ! grep -qs '^127\.0\.0\.1[[:space:]].*localhost' "$CHROOT/etc/hosts"; then
        printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >>"$CHROOT/etc/hosts"
    fi
}

(
    # One setup at a time when two clones share the chroot.
    flock 9
    make_chroot
) 9>"$CHROOT.lock"


VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
triple() { echo "$1-pc-windows-gnu"; }
label() { case "$1" in x86_64) echo x64 ;; i686) echo x86 ;; *) die "unknown architecture $1" ;; esac; }
for A in $ARCHS; do label "$A" >/dev/null; done

# The C functions the header declares, one name a line.
header_functions() {
    sed -n 's/^[A-Za-z_][A-Za-z0-9_ ]*[ *]\(broker_[a-z0-9_]*\)(.*/\1/p' include/brokerlink.h | sort -u
}
# The export names of a DLL, from the objdump -p listing the build saved.
dll_exports() {
    sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' "$TW/$1.objdump" | awk '/\+base\[/ { print $NF }' | sort
}
# The DLLs a DLL imports, lower case.
dll_imports() { sed -n 's/^[[:space:]]*DLL Name: //p' "$TW/$1.objdump" | tr 'A-Z' 'a-z' | sort -u; }

# --- 2. The DLLs -----------------------------------------------------------------------------
# Release with LTO (the Cargo.toml profile), std built from rust-web-src: about 3 minutes per
# architecture on 2 cores; seconds when nothing changed.
mkdir -p "$TW"
for A in $ARCHS; do
    say "building brokerlink.dll for $(triple "$A")"
    in_chroot /bin/sh -ec '
        cd /build
        export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=/build/target/windows \
            CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
            CARGO_TARGET_I686_PC_WINDOWS_GNU_LINKER=i686-w64-mingw32-gcc
        cargo build --release --locked -p brokerlink -Zbuild-std --target "$1-pc-windows-gnu"
        "$1-w64-mingw32-objdump" -p "target/windows/$1-pc-windows-gnu/release/brokerlink.dll" >"target/windows/$1.objdump"' \
        sh "$A"
done

# The DLLs must load on a bare Windows: no MinGW runtime DLL (libgcc_s, libwinpthread,
# libstdc++) and nothing outside Windows' own system DLLs.
is_system_dll() {
    case "$1" in
        kernel32.dll | advapi32.dll | ntdll.dll | msvcrt.dll | userenv.dll | ws2_32.dll | bcrypt.dll | \
            bcryptprimitives.dll | crypt32.dll | iphlpapi.dll | secur32.dll | ncrypt.dll | ole32.dll | \
            oleaut32.dll | shell32.dll | user32.dll | api-ms-win-*) return 0 ;;
        *) return 1 ;;
    esac
}
for A in $ARCHS; do
    bad=""
    for dll in $(dll_imports "$A"); do is_system_dll "$dll" || bad="$bad $dll"; done
    [ -z "$bad" ] || die "$(triple "$A")/brokerlink.dll imports non-system DLLs:$bad"
    say "$A brokerlink.dll imports only system DLLs: $(dll_imports "$A" | paste -sd' ')"
done

# --- 3. The packages -------------------------------------------------------------------------
package_readme() {
    local A=$1 bits office
    case "$A" in
        x86_64) bits="64-bit (x64)" office="64-bit Office" ;;
        i686) bits="32-bit (x86)" office="32-bit Office" ;;
    esac
    local title="brokerlink $VERSION for Windows, $bits"
    printf '%s\n%s\n' "$title" "$(printf '%s' "$title" | sed 's/./=/g')"
    cat <<README

brokerlink logs in to Indian brokers' APIs (Angel One SmartAPI, Noren OMS: Kambala, Shoonya,
Zebu, TradeSmart, Flattrade) and reads profile and funds, through a C API that Excel/VBA, .NET,
C/C++, AmiBroker and MetaTrader plugins can call.

Which package?
  32-bit Office (Excel)              -> brokerlink-$VERSION-windows-x86 (i686 DLL)
  64-bit Office (Excel)              -> brokerlink-$VERSION-windows-x64 (x86_64 DLL)
  .NET, C/C++ and other programs     -> the bitness of the process that loads the DLL
  Excel shows its bitness under File > Account > About Excel ("32-bit" or "64-bit").
  A 64-bit process cannot load the 32-bit DLL, nor the reverse.
This is the $bits package: it is for $office and $bits programs.

Files
  brokerlink.dll          the library. Needs Windows 10 or later and nothing else: it imports
                          only Windows' own system DLLs (no Visual C++ or MinGW runtime).
  libbrokerlink.dll.a     import library for MinGW-w64 (gcc, clang): -L. -lbrokerlink
  brokerlink.def          the DLL's export list. For MSVC, make an import library from it:
                            lib /def:brokerlink.def /machine:$( [ "$A" = x86_64 ] && echo x64 || echo x86 ) /out:brokerlink.lib
                          (or load the DLL with LoadLibrary/GetProcAddress).
  include/brokerlink.h    the C API; every function is documented where it is declared
  include/brokerlink.hpp  the C++17 binding (header-only RAII wrapper)
  dotnet/BrokerLink.cs    the .NET binding: add it to the project and put brokerlink.dll next
                          to the .exe; build for x86 or x64 to match this package, not AnyCPU
  vba/BrokerLink.bas      the Excel/VBA module; vba/README.md walks from here to a cell that
                          shows your available cash (put brokerlink.dll next to the workbook)

Every C function broker_* has a stdcall twin brokervb_* (the convention 32-bit VBA needs),
exported under its plain name. The full documentation (config keys, results, statuses,
the simulator brokersim for trying it without an account) is the project's README.md.

Built on Linux with MinGW-w64 (target $(triple "$A")) and tested under Wine 10 by the
project's CI (scripts/windows.sh); not tested by CI on a real Windows machine.
README
}

rm -rf dist "$TW/package"
mkdir -p dist
for A in $ARCHS; do
    name=brokerlink-$VERSION-windows-$(label "$A")
    dir=$TW/package/$name
    built=$TW/$(triple "$A")/release
    mkdir -p "$dir/include" "$dir/dotnet" "$dir/vba"
    cp "$built/brokerlink.dll" "$built/libbrokerlink.dll.a" "$dir/"
    { echo "LIBRARY brokerlink.dll"; echo "EXPORTS"; dll_exports "$A" | sed 's/^/    /'; } >"$dir/brokerlink.def"
    cp include/brokerlink.h bindings/cpp/brokerlink.hpp "$dir/include/"
    cp bindings/dotnet/BrokerLink.cs "$dir/dotnet/"
    cp bindings/vba/BrokerLink.bas bindings/vba/README.md "$dir/vba/"
    package_readme "$A" | sed 's/$/\r/' >"$dir/README.txt"
    if command -v zip >/dev/null 2>&1; then
        (cd "$TW/package" && zip -q -X -r "$SRC/dist/$name.zip" "$name")
    else
        tar -C "$TW/package" -czf "dist/$name.tar.gz" "$name"
    fi
done
(cd dist && sha256sum -- * >SHA256SUMS)
say "packages in dist/: $(cd dist && ls | paste -sd' ')"

[ "$MODE" = test ] || exit 0

# --- 4. The export tables against the header -------------------------------------------------
# Every broker_* function of the header is exported, each has a brokervb_* twin, there is
# nothing else, and no name carries stdcall's @N decoration (VBA's Declare looks for the
# plain name).
header_functions >"$TW/header-functions.txt"
[ -s "$TW/header-functions.txt" ] || die "no functions found in include/brokerlink.h"
for A in $ARCHS; do
    { cat "$TW/header-functions.txt"; sed 's/^broker_/brokervb_/' "$TW/header-functions.txt"; } | sort >"$TW/$A.expected-exports"
    dll_exports "$A" >"$TW/$A.exports"
    if ! diff -u "$TW/$A.expected-exports" "$TW/$A.exports" >"$TW/$A.exports.diff"; then
        cat "$TW/$A.exports.diff" >&2
        die "$A: the DLL's exports differ from the header's functions and their brokervb_* twins (- missing, + extra)"
    fi
    if grep -q '@' "$TW/$A.exports"; then die "$A: decorated (@N) export names: $(grep '@' "$TW/$A.exports" | paste -sd' ')"; fi
    say "ok $A exports: $(wc -l <"$TW/$A.exports") names = the header's $(wc -l <"$TW/header-functions.txt") functions + a brokervb_* twin each, all undecorated"
done

# --- 5. wintest.c against each DLL under Wine, with brokersim on 127.0.0.1 --------------------
mkdir -p "$TW/wintest" "$TW/tmp"
sed 's/.*/EXPORT(&)/' "$TW/header-functions.txt" >"$TW/wintest/exports.inc"
for A in $ARCHS; do
    say "compiling tests/windows/wintest.c for $A"
    in_chroot /bin/sh -ec '
        cd /build
        O=target/windows/wintest/$1
        mkdir -p "$O"
        cp "target/windows/$1-pc-windows-gnu/release/brokerlink.dll" "$O/"
        "$1-w64-mingw32-gcc" -std=gnu11 -O2 -Wall -Wextra -Werror -static-libgcc \
            -Iinclude -Itarget/windows/wintest tests/windows/wintest.c \
            -L"target/windows/$1-pc-windows-gnu/release" -lbrokerlink -lws2_32 -o "$O/wintest.exe"' sh "$A"
done

# The simulators: the Linux brokersim (host toolchain; `make test` has built it already),
# one plain, one HTTPS whose throwaway CA lands in target/windows/tmp, which Wine sees as
# Z:\build\target\windows\tmp. Both stop when their stdin closes, and on exit.
cargo build -q -p brokersim
SIM=target/debug/brokersim
start_sim() { # start_sim NAME [OPTIONS...]: the startup line in $NAME_line
    local name=$1 fifo fd
    shift
    fifo=$TW/tmp/$name.in
    rm -f "$fifo" "$TW/tmp/$name.out"
    mkfifo "$fifo"
    TMPDIR=$SRC/$TW/tmp "$SIM" --port 0 --no-rate-limit --stop-on-eof "$@" <"$fifo" >"$TW/tmp/$name.out" &
    sim_pids+=($!)
    exec {fd}>"$fifo"   # held open until the script ends: then the simulator stops
    sim_fds+=("$fd")
    for _ in $(seq 1 100); do [ -s "$TW/tmp/$name.out" ] && break; sleep 0.1; done
    printf -v "${name}_line" '%s' "$(head -n 1 "$TW/tmp/$name.out")"
}
start_sim plain
start_sim tls --tls
field() { printf '%s' "$1" | sed -n "s/.*$2.*/\1/p"; }
angel=$(field "$plain_line" '"angelone":{"base_url":"\([^"]*\)"')
noren_base=$(field "$plain_line" '"zebu":{"base_url":"\([^"]*\)"')
noren_oauth=$(field "$plain_line" '"zebu":{[^}]*"oauth_url":"\([^"]*\)"')
tls_angel=$(field "$tls_line" '"angelone":{"base_url":"\([^"]*\)"')
ca_file=$(field "$tls_line" '"ca_file":"\([^"]*\)"')
[ -n "$angel" ] && [ -n "$noren_base" ] && [ -n "$noren_oauth" ] || die "brokersim did not start: $plain_line"
[ -n "$tls_angel" ] && [ -n "$ca_file" ] || die "brokersim --tls did not start: $tls_line"
case "$ca_file" in "$SRC/$TW/tmp/"*) ;; *) die "brokersim's CA is not under $TW/tmp: $ca_file" ;; esac
ca_file_win='Z:\build\'$(printf '%s' "${ca_file#"$SRC/"}" | tr / '\\')
closed=http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 9)
say "brokersim at $angel, with --tls at $tls_angel"

rc=0
for A in $ARCHS; do
    say "running wintest.exe ($A) under Wine"
    if in_chroot /bin/sh -ec '
        cd "/build/target/windows/wintest/$1"; shift
        rc=0
        timeout 600 wine ./wintest.exe "$@" || rc=$?
        wineserver -w
        exit $rc' sh "$A" --angel "$angel" --noren-base "$noren_base" --noren-oauth "$noren_oauth" \
            --tls-angel "$tls_angel" --ca-file "$ca_file_win" --closed "$closed"; then
        say "ok wintest.exe ($A)"
    else
        say "FAILED: wintest.exe ($A)"
        rc=1
    fi
done

# --- 6. The library's unit tests for Windows, under Wine (x86_64) ----------------------------
if [ "${WINDOWS_UNIT_TESTS:-1}" = 1 ]; then
    say "cargo test --lib for x86_64-pc-windows-gnu under Wine"
    if in_chroot /bin/sh -ec '
        cd /build
        export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=/build/target/windows \
            CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
            CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
        rc=0
        cargo test --locked -p brokerlink --lib -Zbuild-std --target x86_64-pc-windows-gnu || rc=$?
        wineserver -w
        exit $rc'; then
        say "ok cargo test --lib under Wine"
    else
        say "FAILED: cargo test --lib under Wine"
        rc=1
    fi
fi
say "done: $([ $rc = 0 ] && echo passed || echo FAILED)"
exit $rc
