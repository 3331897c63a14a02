# C and C++ (bindings/c/), included by the top-level Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=] [INCLUDEDIR=] [BINDIR=] [LDCONFIG=ldconfig]
#       the stripped libraries of `make ship-lib` (mk/dist.mk):
#       lib/libprocesscreds.so.<version> with its soname link (.so.<major>) and dev link (.so),
#       lib/libprocesscreds.a, include/processcreds.h and processcreds.hpp,
#       lib/pkgconfig/processcreds.pc (shared library) and processcreds-static.pc (the archive),
#       and bin/processcreds when the command's crate (cli/) exists. Then, without DESTDIR,
#       bindings/c/post-install.sh: ldconfig when LIBDIR is in the dynamic linker's search path
#       and the user is root, otherwise how to link with an rpath (LDCONFIG= : never ldconfig).
#   make uninstall (same variables)
#   make test-c
#       the C ABI tests against the static and the shared library, natively, under
#       AddressSanitizer + UndefinedBehaviorSanitizer and under valgrind (test_capi.c, and
#       test_async.c for the asynchronous retrieves); the C++ layer's tests; a libuv program
#       driving retrieves from its loop (test_libuv.c, Debian's libuv1-dev); an install into a
#       temporary prefix used through pkg-config (shared and static).

PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BINDIR       ?= $(PREFIX)/bin
DESTDIR      ?=
INSTALL      ?= install
LDCONFIG     ?= ldconfig
VALGRIND     ?= valgrind

PC_SOMAJOR  := $(firstword $(subst ., ,$(PC_VERSION)))
PC_SONAME   := libprocesscreds.so.$(PC_SOMAJOR)
PC_REALNAME := libprocesscreds.so.$(PC_VERSION)
# In the .pc file, directories under PREFIX are written relative to ${prefix}.
PC_PC_LIBDIR     := $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_PC_INCLUDEDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

C_DIR   := bindings/c
C_TDIR  := $(C_DIR)/tests
C_OUT   := $(BUILD)/c
# target/release/libprocesscreds.so under its soname, for the tests linked against it.
C_SOLIB := $(C_OUT)/lib

C_TEST_SRC   := $(C_TDIR)/test_capi.c
C_ASYNC_SRC  := $(C_TDIR)/test_async.c
CXX_TEST_SRC := $(C_TDIR)/test_hpp.cpp
C_TEST_DEPS  := $(C_TDIR)/check.h $(C_TDIR)/fixture.h include/processcreds.h
CXX_TEST_DEPS := $(C_TEST_DEPS) $(C_DIR)/processcreds.hpp
CXXFLAGS_STRICT := -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -I$(C_DIR)
C_TEST_FLAGS := -I$(C_TDIR) -g -O1 -pthread -DPC_EXPECTED_VERSION='"$(PC_VERSION)"'
C_SANITIZE   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
C_LINK_STATIC  = $(LIB_A) $(STATIC_LIBS)
C_LINK_SHARED := -L$(C_SOLIB) -lprocesscreds -Wl,-rpath,$(abspath $(C_SOLIB))

C_TEST_BINS := $(C_OUT)/test_capi_static $(C_OUT)/test_capi_shared \
               $(C_OUT)/test_capi_asan_static $(C_OUT)/test_capi_asan_shared \
               $(C_OUT)/test_hpp_static $(C_OUT)/test_hpp_shared $(C_OUT)/test_hpp_asan \
               $(C_OUT)/test_async_static $(C_OUT)/test_async_shared $(C_OUT)/test_async_asan \
               $(C_OUT)/test_libuv

C_VALGRIND := PC_TEST_UNDER_VALGRIND=1 $(VALGRIND) -q --leak-check=full \
              --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
              --error-exitcode=1 --trace-children=no
C_UBSAN_OPTIONS := UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# For install-test.sh; expanded here so that `make -n test-c` does not count as a recursive make
# and run the tests.
C_SUBMAKE := $(MAKE)

TEST_TARGETS += test-c

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
C_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: install uninstall test-c c-solib c-test-bins

# processcreds.pc.in and processcreds-static.pc.in, with this install's directories.
PC_PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_PC_LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(PC_PC_INCLUDEDIR)|g' -e 's|@VERSION@|$(PC_VERSION)|g' \
	-e 's|@STATIC_LIBS@|$(STATIC_LIBS)|g'

install: ship-lib
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 0755 $(SHIP_SO) $(DESTDIR)$(LIBDIR)/$(PC_REALNAME)
	ln -sfn $(PC_REALNAME) $(DESTDIR)$(LIBDIR)/$(PC_SONAME)
	ln -sfn $(PC_SONAME) $(DESTDIR)$(LIBDIR)/libprocesscreds.so
	$(INSTALL) -m 0644 $(SHIP_A) $(DESTDIR)$(LIBDIR)/libprocesscreds.a
	$(INSTALL) -m 0644 include/processcreds.h $(C_DIR)/processcreds.hpp $(DESTDIR)$(INCLUDEDIR)/
	$(PC_PC_SED) processcreds.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/processcreds.pc
	$(PC_PC_SED) processcreds-static.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/processcreds-static.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/processcreds.pc $(DESTDIR)$(PKGCONFIGDIR)/processcreds-static.pc
	@# The command, when the checkout has it (SHIP_CLI, mk/dist.mk: known only once every mk file
	@# is read, hence a shell test rather than ifneq).
	@if [ -n "$(SHIP_CLI)" ]; then \
	  echo "$(INSTALL) -m 0755 $(SHIP_CLI) $(DESTDIR)$(BINDIR)/processcreds"; \
	  $(INSTALL) -d $(DESTDIR)$(BINDIR) && $(INSTALL) -m 0755 $(SHIP_CLI) $(DESTDIR)$(BINDIR)/processcreds; \
	fi
	@if [ -z "$(DESTDIR)" ]; then \
	  sh $(C_DIR)/post-install.sh "$(LIBDIR)" "$(PKGCONFIGDIR)" "$(LDCONFIG)"; \
	else \
	  echo "make install: staged under DESTDIR=$(DESTDIR); ldconfig is left to the package's installation"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(PC_REALNAME) $(DESTDIR)$(LIBDIR)/$(PC_SONAME) \
	      $(DESTDIR)$(LIBDIR)/libprocesscreds.so $(DESTDIR)$(LIBDIR)/libprocesscreds.a \
	      $(DESTDIR)$(INCLUDEDIR)/processcreds.h $(DESTDIR)$(INCLUDEDIR)/processcreds.hpp \
	      $(DESTDIR)$(PKGCONFIGDIR)/processcreds.pc $(DESTDIR)$(PKGCONFIGDIR)/processcreds-static.pc \
	      $(DESTDIR)$(BINDIR)/processcreds
	@if [ -z "$(DESTDIR)" ]; then \
	  sh $(C_DIR)/post-install.sh "$(LIBDIR)" "$(PKGCONFIGDIR)" "$(LDCONFIG)" uninstall; \
	fi

c-solib: lib
	mkdir -p $(C_SOLIB)
	ln -sfn $(abspath $(LIB_SO)) $(C_SOLIB)/$(PC_SONAME)
	ln -sfn $(PC_SONAME) $(C_SOLIB)/libprocesscreds.so

# The test programs depend on the phony `lib`, so they are relinked on every run.
$(C_OUT)/test_capi_static: $(C_TEST_SRC) $(C_TEST_DEPS) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_STRICT) $(C_TEST_FLAGS) -DPC_TEST_SHARED=0 -o $@ $(C_TEST_SRC) $(C_LINK_STATIC)

$(C_OUT)/test_capi_shared: $(C_TEST_SRC) $(C_TEST_DEPS) c-solib
	$(CC) $(CFLAGS_STRICT) $(C_TEST_FLAGS) -DPC_TEST_SHARED=1 -o $@ $(C_TEST_SRC) $(C_LINK_SHARED)

$(C_OUT)/test_capi_asan_static: $(C_TEST_SRC) $(C_TEST_DEPS) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_STRICT) $(C_TEST_FLAGS) $(C_SANITIZE) -DPC_TEST_SHARED=0 -o $@ $(C_TEST_SRC) \
	    $(C_LINK_STATIC)

$(C_OUT)/test_capi_asan_shared: $(C_TEST_SRC) $(C_TEST_DEPS) c-solib
	$(CC) $(CFLAGS_STRICT) $(C_TEST_FLAGS) $(C_SANITIZE) -DPC_TEST_SHARED=1 -o $@ $(C_TEST_SRC) \
	    $(C_LINK_SHARED)

$(C_OUT)/test_async_static: $(C_ASYNC_SRC) $(C_TEST_DEPS) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_STRICT) $(C_TEST_FLAGS) -o $@ $(C_ASYNC_SRC) $(C_LINK_STATIC)

$(C_OUT)/test_async_shared: $(C_ASYNC_SRC) $(C_TEST_DEPS) c-solib
	$(CC) $(CFLAGS_STRICT) $(C_TEST_FLAGS) -o $@ $(C_ASYNC_SRC) $(C_LINK_SHARED)

$(C_OUT)/test_async_asan: $(C_ASYNC_SRC) $(C_TEST_DEPS) lib
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_STRICT) $(C_TEST_FLAGS) $(C_SANITIZE) -o $@ $(C_ASYNC_SRC) $(C_LINK_STATIC)

# libuv from Debian (libuv1-dev), installed on demand.
$(C_OUT)/test_libuv: $(C_TDIR)/test_libuv.c $(C_TEST_DEPS) lib
	@mkdir -p $(@D)
	@sh tools/ensure-debs libuv1-dev
	$(CC) $(CFLAGS_STRICT) $(C_TEST_FLAGS) -o $@ $(C_TDIR)/test_libuv.c $(C_LINK_STATIC) \
	    $$(pkg-config --cflags --libs libuv)

# The example of the README's "Event loops" (examples/libuv.c), built and run once.
$(C_OUT)/example_libuv: examples/libuv.c include/processcreds.h lib
	@mkdir -p $(@D)
	@sh tools/ensure-debs libuv1-dev
	$(CC) $(CFLAGS_STRICT) -O2 -o $@ examples/libuv.c $(C_LINK_STATIC) $$(pkg-config --cflags --libs libuv)

$(C_OUT)/test_hpp_static: $(CXX_TEST_SRC) $(CXX_TEST_DEPS) lib
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_STRICT) $(C_TEST_FLAGS) -o $@ $(CXX_TEST_SRC) $(C_LINK_STATIC)

$(C_OUT)/test_hpp_shared: $(CXX_TEST_SRC) $(CXX_TEST_DEPS) c-solib
	$(CXX) $(CXXFLAGS_STRICT) $(C_TEST_FLAGS) -o $@ $(CXX_TEST_SRC) $(C_LINK_SHARED)

$(C_OUT)/test_hpp_asan: $(CXX_TEST_SRC) $(CXX_TEST_DEPS) lib
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_STRICT) $(C_TEST_FLAGS) $(C_SANITIZE) -o $@ $(CXX_TEST_SRC) $(C_LINK_STATIC)

c-test-bins: $(C_TEST_BINS) $(C_OUT)/example_libuv

# LeakSanitizer needs ptrace; lsan-probe.sh checks that it catches a planted leak here and says
# so loudly when it cannot (the ASan runs then go without leak detection; valgrind still checks).
test-c: c-test-bins
	@lsan=$$(sh $(C_TDIR)/lsan-probe.sh "$(CC)" $(C_OUT)); \
	if [ "$$lsan" = 1 ]; then leaks="with LeakSanitizer"; else leaks="WITHOUT LeakSanitizer"; fi; \
	asan="env ASAN_OPTIONS=detect_leaks=$$lsan:abort_on_error=0 $(C_UBSAN_OPTIONS)"; \
	MAKE="$(C_SUBMAKE)" CC="$(CC)" CXX="$(CXX)" PC_VERSION="$(PC_VERSION)" \
	PC_SOMAJOR="$(PC_SOMAJOR)" STATIC_LIBS="$(STATIC_LIBS)" \
	sh $(C_TDIR)/run.sh $(C_OUT)/logs \
	  "C, static library" "$(C_OUT)/test_capi_static" \
	  "C, shared library" "$(C_OUT)/test_capi_shared" \
	  "C, static, on a terminal" "sh $(C_TDIR)/on-tty.sh $(C_OUT)/test_capi_static" \
	  "C, static, ASan+UBSan $$leaks" "$$asan $(C_OUT)/test_capi_asan_static" \
	  "C, shared, ASan+UBSan $$leaks" "$$asan $(C_OUT)/test_capi_asan_shared" \
	  "C, static, valgrind" "$(C_VALGRIND) $(C_OUT)/test_capi_static" \
	  "C, shared, valgrind" "$(C_VALGRIND) $(C_OUT)/test_capi_shared" \
	  "C async, static library" "$(C_OUT)/test_async_static" \
	  "C async, shared library" "$(C_OUT)/test_async_shared" \
	  "C async, ASan+UBSan $$leaks" "$$asan $(C_OUT)/test_async_asan" \
	  "C async, static, valgrind" "$(C_VALGRIND) $(C_OUT)/test_async_static" \
	  "C async, libuv loop" "$(C_OUT)/test_libuv" \
	  "C async, libuv example" "sh $(C_TDIR)/example-libuv.sh $(C_OUT)/example_libuv" \
	  "C++, static library" "$(C_OUT)/test_hpp_static" \
	  "C++, shared library" "$(C_OUT)/test_hpp_shared" \
	  "C++, ASan+UBSan $$leaks" "$$asan $(C_OUT)/test_hpp_asan" \
	  "C++, valgrind" "$(C_VALGRIND) $(C_OUT)/test_hpp_shared" \
	  "install + pkg-config" "sh $(C_TDIR)/install-test.sh"

.DEFAULT_GOAL := $(C_SAVED_GOAL)
