#!/bin/sh
# post-install.sh LIBDIR PKGCONFIGDIR LDCONFIG [uninstall]
#
# Run by `make install` (and `make uninstall`) when DESTDIR is empty, so that a program linked
# with `pkg-config --libs processcreds` finds libprocesscreds.so.<major> at run time:
#
# - LIBDIR in the dynamic linker's search path (the directories `ldconfig` scans: the trusted
#   /lib and /usr/lib, and those of /etc/ld.so.conf, such as /usr/local/lib on Debian, Ubuntu
#   and Fedora) and running as root: runs LDCONFIG, which refreshes the loader's cache;
# - in the search path, not root: says to run `sudo ldconfig`;
# - not in the search path (/opt/..., $HOME/...): prints how to link with an rpath, or
#   statically, rather than touching the system's loader configuration.
#
# LDCONFIG empty: ldconfig is neither looked for nor run (the hint is printed as if LIBDIR were
# not in the search path). Directories are compared after resolving symbolic links.
set -u
libdir=$1
pcdir=$2
ldconfig=$3
mode=${4:-install}

real() { (cd "$1" 2>/dev/null && pwd -P); }

found=""
if [ -n "$ldconfig" ]; then
    for c in "$ldconfig" /sbin/ldconfig /usr/sbin/ldconfig; do
        if command -v "$c" >/dev/null 2>&1; then found=$c; break; fi
    done
fi

in_path=no
target=$(real "$libdir")
if [ -n "$found" ] && [ -n "$target" ]; then
    # -N -X: only list the directories, change nothing (works without root).
    for d in $("$found" -v -N -X 2>/dev/null | sed -n 's|^\(/[^:]*\):.*|\1|p'); do
        if [ "$(real "$d")" = "$target" ]; then in_path=yes; break; fi
    done
fi

if [ "$in_path" = yes ]; then
    if [ "$(id -u)" = 0 ]; then
        # The files are in place either way: a failing ldconfig (a read-only /etc) is reported,
        # not an install failure.
        "$found" || { echo "make $mode: $found failed; run it once it can write its cache" >&2; exit 0; }
        [ "$mode" = install ] && echo "make install: ran $found ($libdir is in the dynamic linker's search path)"
    else
        echo "make $mode: $libdir is in the dynamic linker's search path: run \`sudo ldconfig\` once to refresh its cache"
    fi
    exit 0
fi

[ "$mode" = install ] || exit 0
pcpath=$(pkg-config --variable pc_path pkg-config 2>/dev/null || true)
pcvar=""
case ":$pcpath:" in
    *":$pcdir:"*) ;;
    *) pcvar="PKG_CONFIG_PATH=$pcdir " ;;
esac
cat <<EOF
make install: $libdir is not in the dynamic linker's search path, so ldconfig was not run.
A program linked with the shared library finds it at run time through an rpath:
    cc app.c \$(${pcvar}pkg-config --cflags --libs processcreds) -Wl,-rpath,$libdir
or link the static library, which needs nothing at run time:
    cc app.c \$(${pcvar}pkg-config --cflags --libs processcreds-static)
EOF
