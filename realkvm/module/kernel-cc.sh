#!/bin/sh
# realkvm/module/kernel-cc.sh - the compiler for building the module against a kernel built by a
# gcc this machine does not have (trixie's 6.12 by gcc 14, on bookworm's gcc 12): the
# machine's gcc, with the one option gcc 14 added that 6.12's flags use replaced by what the
# kernel's own Makefile passes to a gcc without it (-falign-functions, same alignment).
for arg; do
	shift
	case $arg in
	-fmin-function-alignment=*) set -- "$@" "-falign-functions=${arg#*=}" ;;
	*) set -- "$@" "$arg" ;;
	esac
done
exec gcc "$@"
