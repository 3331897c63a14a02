//! `pc_stats`: a provider's counters, in a struct whose first field is its size, so that later
//! versions can append fields and callers built against an older header keep working.

use std::mem::{offset_of, size_of};

use super::provider::pc_provider;
use super::*;
use crate::observe::Stats;

/// A provider's counters (`pc_provider_stats`). The caller sets `size` to `sizeof(pc_stats)`;
/// the library fills the fields that fit in `size` and writes back the size it filled. Later
/// versions only append fields. Each counter only grows; they are read one by one, so a read
/// during activity may see one counter updated and not yet another.
#[repr(C)]
pub struct pc_stats {
    /// The size of the struct the caller gives, then of the part the library filled.
    pub size: u32,
    /// Runs of the helper started (helper.start).
    pub helper_runs: u64,
    /// Runs that gave no credentials: a failed exit, bad output, a timeout, a failed spawn.
    pub helper_failures: u64,
    /// Runs that passed their timeout (counted in helper_failures too).
    pub helper_timeouts: u64,
    /// Retrieves answered from the cache (cache.hit).
    pub cache_hits: u64,
    /// Retrieves that found nothing valid cached (cache.miss).
    pub cache_misses: u64,
    /// Fetches served by an entry of the shared cache (shared_cache.hit).
    pub shared_cache_hits: u64,
    /// Entries written to the shared cache (shared_cache.write).
    pub shared_cache_writes: u64,
    /// Times the shared cache was bypassed or not written (shared_cache.bypass).
    pub shared_cache_bypasses: u64,
    /// Refreshes ahead started (refresh.start).
    pub refreshes_started: u64,
    /// Refreshes ahead that replaced the credentials (refresh.ok).
    pub refreshes_succeeded: u64,
    /// Refreshes ahead that failed (refresh.fail).
    pub refreshes_failed: u64,
    /// How long the last run of the helper took, in microseconds (0 before the first).
    pub last_run_duration_us: u64,
}

/// The fields after `size`, with their offsets, in order. `Stats` is taken apart field by field
/// (no `..`): a counter added to the core without its place here does not compile.
fn fields(s: &Stats) -> [(usize, u64); 12] {
    let Stats {
        helper_runs,
        helper_failures,
        helper_timeouts,
        cache_hits,
        cache_misses,
        shared_cache_hits,
        shared_cache_writes,
        shared_cache_bypasses,
        refreshes_started,
        refreshes_succeeded,
        refreshes_failed,
        last_run_duration_us,
    } = *s;
    [
        (offset_of!(pc_stats, helper_runs), helper_runs),
        (offset_of!(pc_stats, helper_failures), helper_failures),
        (offset_of!(pc_stats, helper_timeouts), helper_timeouts),
        (offset_of!(pc_stats, cache_hits), cache_hits),
        (offset_of!(pc_stats, cache_misses), cache_misses),
        (offset_of!(pc_stats, shared_cache_hits), shared_cache_hits),
        (
            offset_of!(pc_stats, shared_cache_writes),
            shared_cache_writes,
        ),
        (
            offset_of!(pc_stats, shared_cache_bypasses),
            shared_cache_bypasses,
        ),
        (offset_of!(pc_stats, refreshes_started), refreshes_started),
        (
            offset_of!(pc_stats, refreshes_succeeded),
            refreshes_succeeded,
        ),
        (offset_of!(pc_stats, refreshes_failed), refreshes_failed),
        (
            offset_of!(pc_stats, last_run_duration_us),
            last_run_duration_us,
        ),
    ]
}

/// Writes the provider's counters into `*out`: the fields that fit in `out->size` bytes (set by
/// the caller, normally `sizeof(pc_stats)`), and `out->size` becomes the size filled (a caller
/// built against an older, shorter `pc_stats` gets the fields it knows; a newer, longer one
/// learns what this library fills). `PC_STATUS_INVALID_ARGUMENT` (nothing written) for a NULL
/// argument or a `size` below `sizeof(uint32_t)`. Reads relaxed atomics only: cheap, and never
/// slows down a retrieve.
#[no_mangle]
pub extern "C" fn pc_provider_stats(p: Option<&pc_provider>, out: *mut pc_stats) -> u32 {
    ffi_boundary_plain!(PC_STATUS_INTERNAL, {
        let Some(p) = p else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        if out.is_null() {
            return PC_STATUS_INVALID_ARGUMENT;
        }
        let base = out.cast::<u8>();
        // SAFETY: `out` is non-NULL and points to at least a u32 (the header's contract).
        let size = unsafe { base.cast::<u32>().read_unaligned() } as usize;
        if size < size_of::<u32>() {
            return PC_STATUS_INVALID_ARGUMENT;
        }
        let stats = p.provider().stats();
        let mut filled = size_of::<u32>();
        for (offset, value) in fields(&stats) {
            let end = offset + size_of::<u64>();
            if end > size {
                break;
            }
            // SAFETY: inside the `size` bytes the caller gives (the header's contract).
            unsafe { base.add(offset).cast::<u64>().write_unaligned(value) };
            filled = end;
        }
        // SAFETY: as above (the size field).
        unsafe { base.cast::<u32>().write_unaligned(filled as u32) };
        PC_STATUS_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_in_struct_order_and_fill_it() {
        let f = fields(&Stats::default());
        for w in f.windows(2) {
            assert_eq!(w[0].0 + 8, w[1].0);
        }
        assert_eq!(f[11].0 + 8, size_of::<pc_stats>());
        assert_eq!(size_of::<pc_stats>(), 104);
    }
}
