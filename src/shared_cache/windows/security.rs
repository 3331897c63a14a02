//! Who may use the cache's files on Windows: the current user's SID (from the process token),
//! the private security descriptor the directory and every file are created with (owner: the
//! user; a protected DACL granting full access to the user and to SYSTEM only), and the check
//! that an open file or directory is the user's alone (owned by the user's SID, and no access
//! allowed to any other principal).

use std::ffi::c_void;
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, HANDLE};
use windows_sys::Win32::Security::Authorization::{GetSecurityInfo, SE_FILE_OBJECT};
use windows_sys::Win32::Security::{
    AddAccessAllowedAceEx, GetAce, GetLengthSid, GetTokenInformation, InitializeAcl,
    InitializeSecurityDescriptor, SetSecurityDescriptorControl, SetSecurityDescriptorDacl,
    SetSecurityDescriptorOwner, TokenUser, ACE_HEADER, ACL, ACL_REVISION, CONTAINER_INHERIT_ACE,
    DACL_SECURITY_INFORMATION, INHERIT_ONLY_ACE, OBJECT_INHERIT_ACE, OWNER_SECURITY_INFORMATION,
    PSID, SECURITY_ATTRIBUTES, SECURITY_DESCRIPTOR, SE_DACL_PROTECTED, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::FILE_ALL_ACCESS;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use super::os_text;

/// `S-1-5-18`, Local System.
const SYSTEM: [u8; 12] = [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
/// `S-1-3-4`, Owner Rights (the owner, whoever it is).
const OWNER_RIGHTS: [u8; 12] = [1, 1, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0];

/// `SECURITY_DESCRIPTOR_REVISION`.
const SD_REVISION: u32 = 1;

/// ACE types that allow access; the SID follows the mask in the first two.
const ACCESS_ALLOWED: u8 = 0;
const ACCESS_ALLOWED_CALLBACK: u8 = 9;
/// ACE types that deny access: they never widen it.
const ACCESS_DENIED: [u8; 4] = [1, 6, 10, 12];

/// The current user's SID (the process token's user), read once.
pub(super) fn user() -> Result<&'static [u8], String> {
    static USER: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    USER.get_or_init(read_user)
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

fn read_user() -> Result<Vec<u8>, String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; `token` receives a handle we close below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(format!(
            "cannot open the process token: {}",
            os_text(last())
        ));
    }
    // TOKEN_USER and its SID fit in a few dozen bytes; u64s keep the buffer aligned.
    let mut buf = vec![0u64; 64];
    let mut len = 0u32;
    // SAFETY: a buffer of the size given; `len` receives the size used.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TokenUser,
            buf.as_mut_ptr().cast(),
            (buf.len() * 8) as u32,
            &mut len,
        )
    };
    let err = last();
    // SAFETY: the token handle opened above, closed once.
    unsafe { CloseHandle(token) };
    if ok == 0 {
        return Err(format!(
            "cannot read the process token's user: {}",
            os_text(err)
        ));
    }
    // SAFETY: GetTokenInformation filled a TOKEN_USER whose SID points into `buf`.
    let sid = unsafe { (*(buf.as_ptr() as *const TOKEN_USER)).User.Sid };
    Ok(sid_bytes(sid).to_vec())
}

fn last() -> u32 {
    // SAFETY: no preconditions.
    unsafe { windows_sys::Win32::Foundation::GetLastError() }
}

/// The bytes of a valid SID.
fn sid_bytes<'a>(sid: PSID) -> &'a [u8] {
    // SAFETY: `sid` points to a valid SID of GetLengthSid bytes, alive as long as its owner.
    unsafe { std::slice::from_raw_parts(sid as *const u8, GetLengthSid(sid) as usize) }
}

/// `S-1-5-21-…`: the SID's text form.
pub(super) fn sid_text(sid: &[u8]) -> String {
    if sid.len() < 8 {
        return "an invalid SID".into();
    }
    let authority = sid[2..8].iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
    let mut s = format!("S-{}-{authority}", sid[0]);
    for sub in sid[8..].chunks_exact(4).take(usize::from(sid[1])) {
        s.push_str(&format!(
            "-{}",
            u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]])
        ));
    }
    s
}

/// A SID's text, with its well-known name when it has one: `Everyone (S-1-1-0)`.
pub(super) fn sid_name(sid: &[u8]) -> String {
    let text = sid_text(sid);
    let name = match text.as_str() {
        "S-1-1-0" => "Everyone",
        "S-1-5-7" => "ANONYMOUS LOGON",
        "S-1-5-11" => "Authenticated Users",
        "S-1-5-4" => "INTERACTIVE",
        "S-1-5-18" => "SYSTEM",
        "S-1-5-32-544" => "Administrators",
        "S-1-5-32-545" => "Users",
        "S-1-5-32-546" => "Guests",
        _ => return text,
    };
    format!("{name} ({text})")
}

/// Whether `sid` is a user account's (a local or domain account `S-1-5-21-…`, an Azure AD
/// account `S-1-12-1-…`), not a well-known or service principal.
pub(super) fn is_account(sid: &[u8]) -> bool {
    let t = sid_text(sid);
    t.starts_with("S-1-5-21-") || t.starts_with("S-1-12-1-")
}

/// The security descriptor of a new directory or file of the cache: owned by the user, with a
/// protected DACL granting full access to the user and to SYSTEM (inherited by what is created
/// inside, for a directory). The buffers it points to live as long as it does.
pub(super) struct PrivateSd {
    sd: Box<SECURITY_DESCRIPTOR>,
    _acl: Vec<u64>,
}

impl PrivateSd {
    pub(super) fn new(directory: bool) -> Result<PrivateSd, String> {
        let user = user()?;
        let flags = if directory {
            OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE
        } else {
            0
        };
        // ACL header, then two ACCESS_ALLOWED_ACEs (header, mask, SID).
        let size = std::mem::size_of::<ACL>() + 2 * 8 + user.len() + SYSTEM.len();
        let mut acl = vec![0u64; size.div_ceil(8)];
        let acl_ptr = acl.as_mut_ptr() as *mut ACL;
        let fail = |what: &str| format!("cannot build a private {what}: {}", os_text(last()));
        // SAFETY: a buffer of at least `size` bytes, 8-aligned; the SIDs are valid and
        // outlive the calls (they are copied into the ACL).
        unsafe {
            if InitializeAcl(acl_ptr, (acl.len() * 8) as u32, ACL_REVISION) == 0
                || AddAccessAllowedAceEx(
                    acl_ptr,
                    ACL_REVISION,
                    flags,
                    FILE_ALL_ACCESS,
                    user.as_ptr() as PSID,
                ) == 0
                || AddAccessAllowedAceEx(
                    acl_ptr,
                    ACL_REVISION,
                    flags,
                    FILE_ALL_ACCESS,
                    SYSTEM.as_ptr() as PSID,
                ) == 0
            {
                return Err(fail("access list"));
            }
        }
        let mut sd: Box<SECURITY_DESCRIPTOR> = Box::default();
        let sd_ptr = &mut *sd as *mut SECURITY_DESCRIPTOR as *mut c_void;
        // SAFETY: an absolute security descriptor pointing to the user's SID (static) and to
        // the ACL (owned by the returned value, which keeps both heap buffers in place).
        unsafe {
            if InitializeSecurityDescriptor(sd_ptr, SD_REVISION) == 0
                || SetSecurityDescriptorOwner(sd_ptr, user.as_ptr() as PSID, 0) == 0
                || SetSecurityDescriptorDacl(sd_ptr, 1, acl_ptr, 0) == 0
                || SetSecurityDescriptorControl(sd_ptr, SE_DACL_PROTECTED, SE_DACL_PROTECTED) == 0
            {
                return Err(fail("security descriptor"));
            }
        }
        Ok(PrivateSd { sd, _acl: acl })
    }

    /// Security attributes with this descriptor (handles not inheritable). The descriptor must
    /// outlive their use.
    pub(super) fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: &*self.sd as *const SECURITY_DESCRIPTOR as *mut c_void,
            bInheritHandle: 0,
        }
    }
}

/// An open object's owner and DACL (read with `GetSecurityInfo`; the handle needs
/// `READ_CONTROL`), freed when dropped.
struct Security {
    sd: *mut c_void,
    owner: PSID,
    dacl: *mut ACL,
}

impl Security {
    fn of(h: HANDLE) -> Result<Security, u32> {
        let mut s = Security {
            sd: std::ptr::null_mut(),
            owner: std::ptr::null_mut(),
            dacl: std::ptr::null_mut(),
        };
        // SAFETY: a valid handle; the out-pointers point into `s`, whose descriptor is freed
        // with LocalFree when dropped.
        let r = unsafe {
            GetSecurityInfo(
                h,
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                &mut s.owner,
                std::ptr::null_mut(),
                &mut s.dacl,
                std::ptr::null_mut(),
                &mut s.sd,
            )
        };
        if r != 0 {
            return Err(r);
        }
        Ok(s)
    }
}

impl Drop for Security {
    fn drop(&mut self) {
        if !self.sd.is_null() {
            // SAFETY: allocated by GetSecurityInfo, freed once.
            unsafe { LocalFree(self.sd) };
        }
    }
}

/// What makes the object open as `h` not the current user's alone, if anything: an owner other
/// than the user's SID, or (unless `owner_only`) no DACL or an ACE allowing access to any
/// principal but the user, SYSTEM and Owner Rights. Inherit-only ACEs (which do not apply to the
/// object itself) and deny ACEs are not counted.
pub(super) fn distrust(h: HANDLE, owner_only: bool) -> Option<String> {
    let user = match user() {
        Ok(u) => u,
        Err(e) => return Some(e),
    };
    let sec = match Security::of(h) {
        Ok(s) => s,
        Err(e) => {
            return Some(format!(
                "cannot read its security descriptor: {}",
                os_text(e)
            ))
        }
    };
    if sec.owner.is_null() {
        return Some("it has no owner".into());
    }
    let owner = sid_bytes(sec.owner);
    if owner != user {
        return Some(format!(
            "it is owned by {}, not by the current user ({})",
            sid_name(owner),
            sid_text(user)
        ));
    }
    if owner_only {
        return None;
    }
    if sec.dacl.is_null() {
        return Some("it has no access control list (everyone has access)".into());
    }
    // SAFETY: a valid ACL returned by GetSecurityInfo, alive with `sec`.
    let count = unsafe { (*sec.dacl).AceCount };
    for i in 0..u32::from(count) {
        let mut ace: *mut c_void = std::ptr::null_mut();
        // SAFETY: an index below the ACL's count; `ace` points into the ACL.
        if unsafe { GetAce(sec.dacl, i, &mut ace) } == 0 || ace.is_null() {
            return Some("its access control list cannot be read".into());
        }
        // SAFETY: every ACE starts with an ACE_HEADER.
        let header = unsafe { *(ace as *const ACE_HEADER) };
        if header.AceFlags as u32 & INHERIT_ONLY_ACE != 0 || ACCESS_DENIED.contains(&header.AceType)
        {
            continue;
        }
        if header.AceType != ACCESS_ALLOWED && header.AceType != ACCESS_ALLOWED_CALLBACK {
            return Some(format!(
                "its access control list holds an entry of type {} that may allow access",
                header.AceType
            ));
        }
        // The header, the mask, then a SID of at least 8 bytes.
        if usize::from(header.AceSize) < 4 + 4 + 8 {
            return Some("its access control list holds a malformed entry".into());
        }
        // SAFETY: an ACCESS_ALLOWED(_CALLBACK)_ACE large enough for its mask and SID.
        let (mask, sid) = unsafe {
            let mask = std::ptr::read_unaligned((ace as *const u8).add(4) as *const u32);
            (mask, (ace as *mut u8).add(8) as PSID)
        };
        let sid = sid_bytes(sid);
        if mask == 0 || sid == user || sid == SYSTEM || sid == OWNER_RIGHTS {
            continue;
        }
        return Some(format!("it grants access to {}", sid_name(sid)));
    }
    None
}

/// The owner of the object open as `h`, if it can be read.
pub(super) fn owner(h: HANDLE) -> Result<Vec<u8>, u32> {
    let sec = Security::of(h)?;
    if sec.owner.is_null() {
        return Ok(Vec::new());
    }
    Ok(sid_bytes(sec.owner).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sid_texts() {
        assert_eq!(sid_text(&SYSTEM), "S-1-5-18");
        assert_eq!(sid_name(&SYSTEM), "SYSTEM (S-1-5-18)");
        assert_eq!(sid_text(&OWNER_RIGHTS), "S-1-3-4");
        let everyone = [1u8, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(sid_name(&everyone), "Everyone (S-1-1-0)");
        let account = [
            1u8, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 3, 0,
            0,
        ];
        assert_eq!(sid_text(&account), "S-1-5-21-0-0-0-1000");
        assert!(is_account(&account));
        assert!(!is_account(&SYSTEM));
    }

    #[test]
    fn the_user_is_known_and_a_private_descriptor_builds() {
        let u = user().expect("the process token's user");
        assert!(sid_text(u).starts_with("S-1-"), "{}", sid_text(u));
        let sd = PrivateSd::new(true).expect("a private descriptor");
        assert!(!sd.attributes().lpSecurityDescriptor.is_null());
    }
}
