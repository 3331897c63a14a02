//! The Windows objects a run uses: handles, the stdout/stderr pipes (read with overlapped I/O),
//! the `NUL` device, the job object that holds the helper's tree, and `CreateProcessW` itself.

use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;
use std::sync::atomic::{AtomicU64, Ordering};

use windows_sys::Win32::Foundation::{
    CloseHandle, DuplicateHandle, GetLastError, DUPLICATE_SAME_ACCESS, ERROR_ACCESS_DENIED,
    ERROR_INVALID_PARAMETER, ERROR_PIPE_BUSY, GENERIC_READ, GENERIC_WRITE, HANDLE,
    INVALID_HANDLE_VALUE, WAIT_OBJECT_0,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, FILE_SHARE_READ,
    FILE_SHARE_WRITE, OPEN_EXISTING, PIPE_ACCESS_INBOUND,
};
use windows_sys::Win32::System::Console::{GetStdHandle, STD_HANDLE};
use windows_sys::Win32::System::Diagnostics::Debug::{
    FormatMessageW, FORMAT_MESSAGE_ARGUMENT_ARRAY, FORMAT_MESSAGE_FROM_SYSTEM,
    FORMAT_MESSAGE_IGNORE_INSERTS,
};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
    SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};
use windows_sys::Win32::System::Pipes::{
    CreateNamedPipeW, PIPE_READMODE_BYTE, PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_BYTE, PIPE_WAIT,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, CreateProcessW, DeleteProcThreadAttributeList, GetCurrentProcess,
    GetCurrentProcessId, GetExitCodeProcess, InitializeProcThreadAttributeList, ResetEvent,
    ResumeThread, SetEvent, TerminateProcess, UpdateProcThreadAttribute, WaitForSingleObject,
    CREATE_SUSPENDED, CREATE_UNICODE_ENVIRONMENT, EXTENDED_STARTUPINFO_PRESENT,
    LPPROC_THREAD_ATTRIBUTE_LIST, PROCESS_INFORMATION, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
    STARTF_USESTDHANDLES, STARTUPINFOEXW,
};

/// Go's texts for the errors it invents (`syscall.EINVAL`).
pub(super) const EINVAL_TEXT: &str = "invalid argument";

/// An owned handle, closed when dropped.
pub(super) struct Handle(HANDLE);

// SAFETY: a kernel handle may be used and closed from any thread.
unsafe impl Send for Handle {}

impl Handle {
    /// Takes ownership of `h`; `None` for the two values that mean failure.
    pub(super) fn new(h: HANDLE) -> Option<Handle> {
        (!h.is_null() && h != INVALID_HANDLE_VALUE).then_some(Handle(h))
    }

    pub(super) fn raw(&self) -> HANDLE {
        self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: we own this handle.
        unsafe { CloseHandle(self.0) };
    }
}

/// Wakes a run waiting for its helper (a [`Cancel`](super::super::Cancel) was cancelled): a
/// manual-reset event the run waits on with its pipes and its process.
pub(crate) struct Waker(Handle);

// SAFETY: an event handle may be signalled and waited on from any thread.
unsafe impl Sync for Waker {}

impl Waker {
    /// A new event, clear; `None` if the system refuses one (the run then looks at the token
    /// every 10 ms).
    pub(crate) fn new() -> Option<Waker> {
        // SAFETY: an anonymous manual-reset event, initially clear.
        let h = unsafe { CreateEventW(std::ptr::null(), 1, 0, std::ptr::null()) };
        Handle::new(h).map(Waker)
    }

    /// Signals the event (it stays signalled).
    pub(crate) fn wake(&self) {
        // SAFETY: a valid event handle.
        unsafe { SetEvent(self.0.raw()) };
    }

    /// Clears the event (a reactor's, after it woke).
    pub(crate) fn clear(&self) {
        // SAFETY: a valid event handle.
        unsafe { ResetEvent(self.0.raw()) };
    }

    pub(crate) fn raw(&self) -> HANDLE {
        self.0.raw()
    }
}

/// The calling thread's last error.
pub(super) fn last_error() -> u32 {
    // SAFETY: no preconditions.
    unsafe { GetLastError() }
}

/// Go's `syscall.Errno.Error()` on Windows: the system's message in US English (else in the
/// user's language), trailing CR/LF removed.
pub(super) fn error_text(code: u32) -> String {
    let flags =
        FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ARGUMENT_ARRAY | FORMAT_MESSAGE_IGNORE_INSERTS;
    let mut buf = [0u16; 300];
    let format = |lang: u32, buf: &mut [u16; 300]| {
        // SAFETY: `buf` holds 300 u16s; no inserts are read.
        unsafe {
            FormatMessageW(
                flags,
                std::ptr::null(),
                code,
                lang,
                buf.as_mut_ptr(),
                buf.len() as u32,
                std::ptr::null(),
            )
        }
    };
    // MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US)
    let mut n = format(0x0409, &mut buf);
    if n == 0 {
        n = format(0, &mut buf);
        if n == 0 {
            return format!("winapi error #{code}");
        }
    }
    let mut n = n as usize;
    while n > 0 && (buf[n - 1] == u16::from(b'\n') || buf[n - 1] == u16::from(b'\r')) {
        n -= 1;
    }
    String::from_utf16_lossy(&buf[..n])
}

/// A NUL-terminated UTF-16 copy of `s`; `None` when `s` holds a NUL (Go's `EINVAL`).
pub(super) fn wide(s: &str) -> Option<Vec<u16>> {
    if s.contains('\0') {
        return None;
    }
    Some(OsStr::new(s).encode_wide().chain(Some(0)).collect())
}

fn inheritable() -> SECURITY_ATTRIBUTES {
    SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: std::ptr::null_mut(),
        bInheritHandle: 1,
    }
}

/// A pipe for one of the helper's outputs: our end is a named pipe opened for overlapped reads
/// (anonymous pipes cannot wait with a deadline), the helper's end is an inheritable handle
/// opened for plain synchronous writes, as programs expect of their stdout.
pub(super) fn pipe() -> Result<(Handle, Handle), u32> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut reject_remote = PIPE_REJECT_REMOTE_CLIENTS;
    let mut tries = 0;
    loop {
        tries += 1;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // SAFETY: no preconditions.
        let pid = unsafe { GetCurrentProcessId() };
        let name = format!(
            "\\\\.\\pipe\\processcreds.{pid}.{}.{nonce:08x}",
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let wname = wide(&name).expect("no NUL in a pipe name");
        // SAFETY: a valid name; a null security descriptor gives the default (our own) access.
        let server = unsafe {
            CreateNamedPipeW(
                wname.as_ptr(),
                PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | reject_remote,
                1,
                0,
                64 * 1024,
                0,
                std::ptr::null(),
            )
        };
        let Some(server) = Handle::new(server) else {
            let e = last_error();
            match e {
                // Systems without PIPE_REJECT_REMOTE_CLIENTS refuse the flag.
                ERROR_INVALID_PARAMETER if reject_remote != 0 => reject_remote = 0,
                // The name is taken: another one.
                ERROR_ACCESS_DENIED | ERROR_PIPE_BUSY if tries < 10 => {}
                _ => return Err(e),
            }
            continue;
        };
        let sa = inheritable();
        // SAFETY: opening the client end of the pipe we just created.
        let client = unsafe {
            CreateFileW(
                wname.as_ptr(),
                GENERIC_WRITE,
                0,
                &sa,
                OPEN_EXISTING,
                0,
                std::ptr::null_mut(),
            )
        };
        return match Handle::new(client) {
            Some(client) => Ok((server, client)),
            None => Err(last_error()),
        };
    }
}

/// The `NUL` device, inheritable, for reading or writing.
pub(super) fn null_device(write: bool) -> Result<Handle, u32> {
    let sa = inheritable();
    let access = if write { GENERIC_WRITE } else { GENERIC_READ };
    let name: Vec<u16> = "NUL\0".encode_utf16().collect();
    // SAFETY: a valid name and security attributes.
    let h = unsafe {
        CreateFileW(
            name.as_ptr(),
            access,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            &sa,
            OPEN_EXISTING,
            0,
            std::ptr::null_mut(),
        )
    };
    Handle::new(h).ok_or_else(last_error)
}

/// An inheritable duplicate of one of the caller's standard handles (as Go duplicates them for
/// the child); `Ok(None)` when the caller has none (a GUI program).
pub(super) fn inherit_std(which: STD_HANDLE) -> Result<Option<Handle>, u32> {
    // SAFETY: no preconditions.
    let h = unsafe { GetStdHandle(which) };
    if h.is_null() || h == INVALID_HANDLE_VALUE {
        return Ok(None);
    }
    let mut dup: HANDLE = std::ptr::null_mut();
    // SAFETY: duplicating a handle of our own process into our own process.
    let ok = unsafe {
        let me = GetCurrentProcess();
        DuplicateHandle(me, h, me, &mut dup, 0, 1, DUPLICATE_SAME_ACCESS)
    };
    if ok == 0 {
        return Err(last_error());
    }
    Ok(Handle::new(dup))
}

/// A job object that kills every process in it when its last handle closes, so that neither a
/// timeout nor the death of the caller leaves the helper's descendants running.
pub(super) struct Job(Handle);

impl Job {
    pub(super) fn new() -> Result<Job, u32> {
        // SAFETY: an anonymous job with default security.
        let job = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
        let job = Job(Handle::new(job).ok_or_else(last_error)?);
        job.set_kill_on_close(true)?;
        Ok(job)
    }

    fn set_kill_on_close(&self, on: bool) -> Result<(), u32> {
        // SAFETY: a zeroed JOBOBJECT_EXTENDED_LIMIT_INFORMATION is a valid "no limits" value.
        let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
        if on {
            info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        }
        // SAFETY: `info` is the structure this information class takes.
        let ok = unsafe {
            SetInformationJobObject(
                self.0.raw(),
                JobObjectExtendedLimitInformation,
                &info as *const _ as *const _,
                std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            )
        };
        if ok == 0 {
            return Err(last_error());
        }
        Ok(())
    }

    fn assign(&self, process: &Handle) -> bool {
        // SAFETY: both handles are valid.
        unsafe { AssignProcessToJobObject(self.0.raw(), process.raw()) != 0 }
    }

    fn terminate(&self) {
        // SAFETY: a valid job handle.
        unsafe { TerminateJobObject(self.0.raw(), 1) };
    }

    /// Lets the processes still in the job live on when it is closed.
    fn release(self) {
        let _ = self.set_kill_on_close(false);
    }
}

/// The running helper: its process, and the job holding it and its descendants.
pub(super) struct Child {
    process: Handle,
    /// `None` when the process could not be put in the job (only the helper itself is then
    /// killed on timeout).
    job: Option<Job>,
    exit: Option<u32>,
}

impl Child {
    pub(super) fn process(&self) -> &Handle {
        &self.process
    }

    /// The exit code once the helper has exited (checked without waiting).
    pub(super) fn try_wait(&mut self) -> Option<u32> {
        if self.exit.is_none() {
            // SAFETY: a valid process handle.
            let signalled = unsafe { WaitForSingleObject(self.process.raw(), 0) } == WAIT_OBJECT_0;
            if signalled {
                let mut code = 0u32;
                // SAFETY: as above; `code` receives the exit code.
                if unsafe { GetExitCodeProcess(self.process.raw(), &mut code) } == 0 {
                    code = u32::MAX;
                }
                self.exit = Some(code);
            }
        }
        self.exit
    }

    /// Kills the helper and every descendant (D1) unless the helper has already exited, and
    /// waits for the helper to be gone.
    pub(super) fn kill_tree(&mut self) {
        if self.try_wait().is_some() {
            return;
        }
        match &self.job {
            Some(job) => job.terminate(),
            // SAFETY: a valid process handle.
            None => unsafe {
                TerminateProcess(self.process.raw(), 1);
            },
        }
        // SAFETY: as above. Termination is immediate; the wait only makes it observable.
        unsafe { WaitForSingleObject(self.process.raw(), 10_000) };
        let _ = self.try_wait();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill_tree();
        // A helper that exited leaves its descendants alone, as on POSIX (D2).
        if let Some(job) = self.job.take() {
            job.release();
        }
    }
}

/// The three standard handles of the helper.
pub(super) struct Stdio<'a> {
    pub(super) input: Option<&'a Handle>,
    pub(super) output: &'a Handle,
    pub(super) error: Option<&'a Handle>,
}

/// Starts `application` with `command_line`, handing it only the three standard handles
/// (`PROC_THREAD_ATTRIBUTE_HANDLE_LIST`), suspended until it is in a new job.
pub(super) fn spawn(application: &[u16], command_line: &str, stdio: Stdio) -> Result<Child, u32> {
    let mut line: Vec<u16> = OsStr::new(command_line)
        .encode_wide()
        .chain(Some(0))
        .collect();
    let job = Job::new()?;

    let std_handles = [
        stdio.input.map(Handle::raw),
        Some(stdio.output.raw()),
        stdio.error.map(Handle::raw),
    ];
    let mut inherited: Vec<HANDLE> = Vec::with_capacity(3);
    for h in std_handles.into_iter().flatten() {
        if !inherited.contains(&h) {
            inherited.push(h);
        }
    }

    let mut size = 0usize;
    // SAFETY: the first call only reports the size the list needs.
    unsafe { InitializeProcThreadAttributeList(std::ptr::null_mut(), 1, 0, &mut size) };
    let mut storage: Vec<usize> = vec![0; size.div_ceil(std::mem::size_of::<usize>()).max(1)];
    let list = storage.as_mut_ptr() as LPPROC_THREAD_ATTRIBUTE_LIST;
    // SAFETY: `storage` holds at least `size` bytes, suitably aligned.
    if unsafe { InitializeProcThreadAttributeList(list, 1, 0, &mut size) } == 0 {
        return Err(last_error());
    }
    struct List(LPPROC_THREAD_ATTRIBUTE_LIST);
    impl Drop for List {
        fn drop(&mut self) {
            // SAFETY: initialised above, deleted once.
            unsafe { DeleteProcThreadAttributeList(self.0) };
        }
    }
    let list = List(list);
    // SAFETY: `inherited` outlives the attribute list's use in CreateProcessW.
    let ok = unsafe {
        UpdateProcThreadAttribute(
            list.0,
            0,
            PROC_THREAD_ATTRIBUTE_HANDLE_LIST as usize,
            inherited.as_ptr() as *const _,
            std::mem::size_of_val(inherited.as_slice()),
            std::ptr::null_mut(),
            std::ptr::null(),
        )
    };
    if ok == 0 {
        return Err(last_error());
    }

    // SAFETY: a zeroed STARTUPINFOEXW is a valid initial value.
    let mut si: STARTUPINFOEXW = unsafe { std::mem::zeroed() };
    si.StartupInfo.cb = std::mem::size_of::<STARTUPINFOEXW>() as u32;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = std_handles[0].unwrap_or(std::ptr::null_mut());
    si.StartupInfo.hStdOutput = stdio.output.raw();
    si.StartupInfo.hStdError = std_handles[2].unwrap_or(std::ptr::null_mut());
    si.lpAttributeList = list.0;
    // SAFETY: a zeroed PROCESS_INFORMATION is a valid initial value (filled by the call).
    let mut pi: PROCESS_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: every pointer is valid for the call; the environment and the working directory
    // are the caller's (null).
    let ok = unsafe {
        CreateProcessW(
            application.as_ptr(),
            line.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            1,
            CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT | CREATE_SUSPENDED,
            std::ptr::null(),
            std::ptr::null(),
            &si.StartupInfo,
            &mut pi,
        )
    };
    if ok == 0 {
        return Err(last_error());
    }
    drop(list);
    let process = Handle(pi.hProcess);
    let thread = Handle(pi.hThread);
    let job = job.assign(&process).then_some(job);
    let mut child = Child {
        process,
        job,
        exit: None,
    };
    // SAFETY: the primary thread of the process we created suspended.
    if unsafe { ResumeThread(thread.raw()) } == u32::MAX {
        let e = last_error();
        child.kill_tree();
        return Err(e);
    }
    Ok(child)
}
