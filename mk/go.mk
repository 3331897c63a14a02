# Go binding (bindings/go, a module of its own) and its benchmark (bench/go), against the static
# library built by `make lib`. Go modules come from the module proxy through `go` itself (go.sum
# files are committed).
#
#   make test-go    gofmt, go vet, go test -race, GOGC=1 go test (bindings/go); a build with the tag
#                   processcreds_system against a `make install` into build/ (through pkg-config,
#                   shared library); go vet and build of bench/go
#   make bench-go   the Go binding vs aws-sdk-go v1's processcreds, one table
#   make go-static-libs
#                   rewrites internal/capi/static_libs.go, the default link flags per system,
#                   from the system libraries rustc names (tools/go-static-libs); test-go fails
#                   when its Linux line is stale (test-windows-go checks Windows', check-macos
#                   macOS')

GO         ?= go
GO_DIR     := bindings/go
GO_PREFIX  := $(CURDIR)/$(BUILD)/go-prefix
GO_BENCH   := bench/go
GO_STATIC_LIBS := $(GO_DIR)/internal/capi/static_libs.go
# Go's build cache does not see the library and the header (they are outside the module), so a
# digest of both goes into CGO_CFLAGS: a rebuilt library recompiles and relinks what uses it.
GO_ENV      = CGO_CFLAGS="-O2 -g -DPROCESSCREDS_BUILD=$$(cat $(CURDIR)/$(LIB_A) $(CURDIR)/include/processcreds.h | sha256sum | cut -c1-16)"

TEST_TARGETS += test-go

# Rules here must not become the default goal of the top-level Makefile (which includes this
# file before its own `all`): the goal is saved here and restored at the end.
GO_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: test-go bench-go go-static-libs

go-static-libs:
	CARGO="$(CARGO)" sh tools/go-static-libs write $(GO_STATIC_LIBS)

test-go: lib
	CARGO="$(CARGO)" sh tools/go-static-libs check $(GO_STATIC_LIBS) linux
	@unformatted=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $(GO_DIR) $(GO_BENCH) tests); \
	  test -z "$$unformatted" || { echo "gofmt would change: $$unformatted"; exit 1; }
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet ./...
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet -tags race ./...
	cd $(GO_DIR) && $(GO_ENV) $(GO) test -race -count=1 ./...
	cd $(GO_DIR) && $(GO_ENV) GOGC=1 $(GO) test -count=1 ./...
	rm -rf $(GO_PREFIX)
	$(MAKE) --no-print-directory install PREFIX=$(GO_PREFIX)
	cd $(GO_DIR) && PKG_CONFIG_PATH=$(GO_PREFIX)/lib/pkgconfig LD_LIBRARY_PATH=$(GO_PREFIX)/lib $(GO_ENV) \
		$(GO) test -tags processcreds_system -count=1 -run 'Sign|Errors|Example|Concurrent|Finalizers|Profile' ./...
	cd $(GO_BENCH) && $(GO_ENV) $(GO) vet ./...
	cd $(GO_BENCH) && $(GO_ENV) $(GO) build -o /dev/null .

$(BUILD)/bench-go: lib | $(BUILD)
	cd $(GO_BENCH) && $(GO_ENV) $(GO) build -o $(CURDIR)/$@ .

bench-go: $(BUILD)/bench-go $(BUILD)/bench-helper
	./$(BUILD)/bench-go "$(CURDIR)/$(BUILD)/bench-helper"

.DEFAULT_GOAL := $(GO_SAVED_GOAL)
