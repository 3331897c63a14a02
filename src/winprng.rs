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
unsafe extern "system" fn process_prng(data: *mut u8, len: usize) -> i32 {
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

std::arch::global_asm!(
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
    prng = sym process_prng,
);
