package capi

/*
#include <stdint.h>
#include <stdlib.h>
#include <processcreds.h>

extern void processcredsGoLog(void *userData, uint32_t level, char *event, char *message);

static void processcreds_go_log(void *user_data, uint32_t level, const char *event,
                                const char *message) {
	processcredsGoLog(user_data, level, (char *)event, (char *)message);
}

// Sets (h != 0) or removes the Go logger whose cgo.Handle is h.
static uint32_t processcreds_set_go_logger(pc_provider *p, uintptr_t h, uint32_t min_level) {
	return pc_set_logger(p, h != 0 ? processcreds_go_log : NULL, (void *)h, h != 0 ? min_level : 0);
}
*/
import "C"

import (
	"log/slog"
	"runtime"
	"runtime/cgo"
	"time"
)

// setLogger points the provider's C logger at l for the level it is enabled for now (nil, or no
// level enabled: off), unless it is so already; the caller holds h.optMu and h.mu for reading.
// pc_set_logger returns once the previous logger's calls in progress have returned, so the
// previous handle is deleted after it.
func (h *Provider) setLogger(p *C.pc_provider, l *slog.Logger) Status {
	level := wantedLevel(l)
	if l == h.logger && level == h.logLevel {
		return StatusOK
	}
	var next cgo.Handle
	if level != 0 {
		next = cgo.NewHandle(l)
	}
	st := Status(C.processcreds_set_go_logger(p, C.uintptr_t(next), C.uint32_t(level)))
	runtime.KeepAlive(h)
	if st != StatusOK {
		if next != 0 {
			next.Delete()
		}
		return st
	}
	if h.logHandle != 0 {
		h.logHandle.Delete()
	}
	h.logger, h.logLevel, h.logHandle = l, level, next
	return StatusOK
}

// Stats are a provider's counters since it was made (the C library's pc_stats). Each counter
// only grows; they are read one by one, so a read during activity may see one counter updated
// and not yet another (enough for metrics).
type Stats struct {
	HelperRuns          uint64        // runs of the helper started (helper.start)
	HelperFailures      uint64        // runs that gave no credentials (timeouts included)
	HelperTimeouts      uint64        // runs that passed their timeout
	CacheHits           uint64        // retrieves answered from the library's cache (cache.hit)
	CacheMisses         uint64        // retrieves that found nothing valid cached (cache.miss)
	SharedCacheHits     uint64        // fetches served by a shared-cache entry (shared_cache.hit)
	SharedCacheWrites   uint64        // entries written to the shared cache (shared_cache.write)
	SharedCacheBypasses uint64        // times the shared cache was bypassed (shared_cache.bypass)
	RefreshesStarted    uint64        // refreshes ahead started (refresh.start)
	RefreshesSucceeded  uint64        // refreshes ahead that replaced the credentials (refresh.ok)
	RefreshesFailed     uint64        // refreshes ahead that failed (refresh.fail)
	LastRunDuration     time.Duration // how long the last run of the helper took (0 before any)
}

// Stats reads the provider's counters (zero for a provider the C library refused, a closed
// one, or while it is being closed: a logger's handler may call it).
func (h *Provider) Stats() Stats {
	if h.err != nil || !h.mu.TryRLock() {
		return Stats{}
	}
	defer h.mu.RUnlock()
	p := h.ptr()
	if p == nil {
		return Stats{}
	}
	var s C.pc_stats
	s.size = C.uint32_t(C.sizeof_pc_stats)
	st := Status(C.pc_provider_stats(p, &s))
	runtime.KeepAlive(h)
	if st != StatusOK {
		return Stats{}
	}
	return Stats{
		HelperRuns:          uint64(s.helper_runs),
		HelperFailures:      uint64(s.helper_failures),
		HelperTimeouts:      uint64(s.helper_timeouts),
		CacheHits:           uint64(s.cache_hits),
		CacheMisses:         uint64(s.cache_misses),
		SharedCacheHits:     uint64(s.shared_cache_hits),
		SharedCacheWrites:   uint64(s.shared_cache_writes),
		SharedCacheBypasses: uint64(s.shared_cache_bypasses),
		RefreshesStarted:    uint64(s.refreshes_started),
		RefreshesSucceeded:  uint64(s.refreshes_succeeded),
		RefreshesFailed:     uint64(s.refreshes_failed),
		LastRunDuration:     time.Duration(s.last_run_duration_us) * time.Microsecond,
	}
}
