//! Deferring `pthread_cancel` of the calling thread while the library may reach a cancellation
//! point (poll, read, waitpid, open, close, fcntl locks, sleeps...).

use super::os::PTHREAD_CANCEL_DISABLE;

/// Disables the calling thread's cancellation while alive, then restores the state the thread
/// had. A cancellation requested meanwhile stays pending and acts at the thread's next
/// cancellation point after that: glibc cancels a thread by unwinding it with a forced
/// exception, which must never run through the library's frames (a `catch_unwind` at the C
/// boundary would stop it and the process would abort), and the library's state stays
/// consistent.
pub(crate) struct NoCancel {
    old: libc::c_int,
}

extern "C" {
    fn pthread_setcancelstate(state: libc::c_int, old: *mut libc::c_int) -> libc::c_int;
}

impl NoCancel {
    #[inline]
    pub(crate) fn new() -> NoCancel {
        let mut old = 0;
        // SAFETY: changes the calling thread's own cancellation state.
        unsafe { pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &mut old) };
        NoCancel { old }
    }
}

impl Drop for NoCancel {
    #[inline]
    fn drop(&mut self) {
        if self.old != PTHREAD_CANCEL_DISABLE {
            let mut ignored = 0;
            // SAFETY: restores the calling thread's own cancellation state.
            unsafe { pthread_setcancelstate(self.old, &mut ignored) };
        }
    }
}
