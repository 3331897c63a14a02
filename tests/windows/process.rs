//! Whether a process runs, for the Windows tests that check a helper's tree (included by
//! tests/windows_runner.rs and tests/windows_shared_cache.rs).

use windows_sys::Win32::Foundation::{CloseHandle, WAIT_OBJECT_0, WAIT_TIMEOUT};
use windows_sys::Win32::System::Threading::{
    OpenProcess, WaitForSingleObject, PROCESS_SYNCHRONIZE,
};

/// Whether the process `pid` is running now (false once it has ended or is gone); fails the
/// test when the system cannot tell.
pub fn alive(pid: u32) -> bool {
    // SAFETY: a handle opened and closed here.
    unsafe {
        let h = OpenProcess(PROCESS_SYNCHRONIZE, 0, pid);
        if h.is_null() {
            return false;
        }
        let r = WaitForSingleObject(h, 0);
        CloseHandle(h);
        assert!(
            r == WAIT_OBJECT_0 || r == WAIT_TIMEOUT,
            "WaitForSingleObject on process {pid} failed ({r:#x})"
        );
        r == WAIT_TIMEOUT
    }
}
