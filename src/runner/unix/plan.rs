//! What the helper is started with (a [`Plan`]) and `posix_spawn` of it: the standard
//! descriptors, the signal mask and dispositions, the process group. Each system's part
//! ([`super::os`]) adds what closes every other descriptor and starts the helper; it depends on
//! this module, never the reverse.

use std::ffi::{c_char, c_int, CStr};

/// Where the helper's stderr goes.
#[derive(Clone, Copy)]
pub(super) enum Stderr {
    Inherit,
    Fd(c_int),
    Null,
}

/// What the child must be given; on Linux's fallback path, read by the child while the parent
/// is suspended.
pub(super) struct Plan<'a> {
    pub(super) path: &'a CStr,
    pub(super) argv: *const *mut c_char,
    pub(super) envp: *const *mut c_char,
    /// Dup'ed onto 1.
    pub(super) stdout: c_int,
    pub(super) stdin_null: bool,
    pub(super) stderr: Stderr,
    pub(super) own_group: bool,
}

pub(super) struct Actions(pub(super) libc::posix_spawn_file_actions_t);

impl Drop for Actions {
    fn drop(&mut self) {
        // SAFETY: initialised in `posix_spawn`.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

struct Attr(libc::posix_spawnattr_t);

impl Drop for Attr {
    fn drop(&mut self) {
        // SAFETY: initialised in `posix_spawn`.
        unsafe { libc::posix_spawnattr_destroy(&mut self.0) };
    }
}

/// The system's part of the file actions or flags could not be had: the caller starts the
/// helper another way.
pub(super) struct Unavailable;

/// `posix_spawn` of `plan`: the standard descriptors, signal mask and dispositions, process
/// group. `close_others` then adds what closes every other descriptor: a file action, or a flag
/// of `posix_spawnattr_setflags` (the flags are set after it). The pid or the errno, or
/// `Unavailable` when `close_others` says so (nothing is spawned then).
pub(super) fn posix_spawn(
    plan: &Plan,
    close_others: impl FnOnce(&mut Actions, &mut libc::c_int) -> Result<(), Unavailable>,
) -> Result<Result<libc::pid_t, i32>, Unavailable> {
    // SAFETY: the posix_spawn objects are initialised before use and destroyed by their guards;
    // all pointers passed stay alive for the call.
    unsafe {
        let mut fa = Actions(std::mem::zeroed());
        libc::posix_spawn_file_actions_init(&mut fa.0);
        libc::posix_spawn_file_actions_adddup2(&mut fa.0, plan.stdout, 1);
        if plan.stdin_null {
            libc::posix_spawn_file_actions_addopen(
                &mut fa.0,
                0,
                c"/dev/null".as_ptr(),
                libc::O_RDONLY,
                0,
            );
        }
        match plan.stderr {
            Stderr::Fd(w) => {
                libc::posix_spawn_file_actions_adddup2(&mut fa.0, w, 2);
            }
            Stderr::Null => {
                libc::posix_spawn_file_actions_addopen(
                    &mut fa.0,
                    2,
                    c"/dev/null".as_ptr(),
                    libc::O_WRONLY,
                    0,
                );
            }
            Stderr::Inherit => {}
        }
        let mut flags = libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF;
        close_others(&mut fa, &mut flags)?;

        let mut attr = Attr(std::mem::zeroed());
        libc::posix_spawnattr_init(&mut attr.0);
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::posix_spawnattr_setsigmask(&mut attr.0, &empty);
        // Signals a host commonly ignores (Python ignores SIGPIPE) are default again in the
        // helper, as in a child of a Go program.
        let mut def: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut def);
        libc::sigaddset(&mut def, libc::SIGPIPE);
        libc::sigaddset(&mut def, libc::SIGXFSZ);
        libc::posix_spawnattr_setsigdefault(&mut attr.0, &def);
        if plan.own_group {
            flags |= libc::POSIX_SPAWN_SETPGROUP;
            libc::posix_spawnattr_setpgroup(&mut attr.0, 0);
        }
        libc::posix_spawnattr_setflags(&mut attr.0, flags as libc::c_short);

        let mut pid: libc::pid_t = 0;
        let rc = libc::posix_spawn(
            &mut pid,
            plan.path.as_ptr(),
            &fa.0,
            &attr.0,
            plan.argv,
            plan.envp,
        );
        Ok(if rc == 0 { Ok(pid) } else { Err(rc) })
    }
}
