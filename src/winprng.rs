//! `ProcessPrng` for Rust's standard library, so that `processcreds.dll`, and programs linked
//! with `libprocesscreds.a`, load where `bcryptprimitives.dll` is missing (Wine 8, where every
//! Rust DLL would otherwise fail to load with "bcryptprimitives.dll not found").
//!
//! Since Rust 1.78, std on Windows takes its random numbers (the seeds of `HashMap`) from
//! `ProcessPrng` in bcryptprimitives.dll and imports it whether it is used or not. This module
//! defines that import's two symbols (`ProcessPrng` and the import slot `__imp_ProcessPrng`)
//! itself, in assembly so that they are not exported from the DLL; the linker then resolves
//! std's reference here and never pulls the import in. The function fills the buffer from
//! `RtlGenRandom` (advapi32), the system random source Windows has always had.
//!
//! Built for the GNU target on x86_64 only: `mk/windows.mk` checks that the DLL and a program
//! linked with the static library import nothing from bcryptprimitives.dll. The MSVC target
//! keeps std's import (real Windows 10 and later have the DLL).

use windows_sys::Win32::Security::Authentication::Identity::RtlGenRandom;

/// `BOOL ProcessPrng(PBYTE data, SIZE_T len)`: always succeeds on Windows; so does this unless
/// the system random source fails.
pub(crate) unsafe extern "system" fn process_prng(data: *mut u8, len: usize) -> i32 {
    let (mut at, mut left) = (data, len);
    while left > 0 {
        let n = left.min(u32::MAX as usize);
        // SAFETY: the caller gives `len` writable bytes at `data`; `at..at+n` lies inside them.
        if !unsafe { RtlGenRandom(at.cast(), n as u32) } {
            return 0;
        }
        // SAFETY: as above.
        at = unsafe { at.add(n) };
        left -= n;
    }
    1
}

/// Defines `ProcessPrng` and `__imp_ProcessPrng` in the module where it is invoked.
///
/// Invoked in `capi::provider`, the module of `pc_provider_new` and `pc_retrieve`: a program
/// linked with the static library pulls that module's object from the archive before anything
/// of std, so the linker finds these definitions first and never loads std's import member
/// (finding them later, after the import member, would define the symbols twice).
macro_rules! define_process_prng {
    () => {
        ::std::arch::global_asm!(
            ".text",
            ".globl ProcessPrng",
            ".p2align 4",
            "ProcessPrng:",
            "jmp {prng}",
            ".section .rdata,\"dr\"",
            ".globl __imp_ProcessPrng",
            ".p2align 3",
            "__imp_ProcessPrng:",
            ".quad ProcessPrng",
            ".text",
            prng = sym $crate::winprng::process_prng,
        );
    };
}
pub(crate) use define_process_prng;
