//! Go's `path/filepath` for Windows paths, as plain string functions: what the Windows runner
//! needs to look programs up as `os/exec` does, and what the shared config needs to build
//! `%USERPROFILE%\.aws\credentials` as aws-sdk-go v1 does.
//!
//! Both `\` and `/` separate; results use `\`. Ported from Go's `filepath` (`path_windows.go`
//! and `path.go`) for the cases a program path or a home directory can take: drive letters,
//! UNC shares (`\\host\share`) and DOS device paths (`\\?\C:\…`, `\\.\UNC\host\share`).
//! Pure functions of their arguments, so they are tested on every platform.

/// Go's `os.IsPathSeparator` on Windows.
pub(crate) fn is_sep(c: u8) -> bool {
    c == b'\\' || c == b'/'
}

/// The next path element of `p` and what follows its separator, if there is one.
fn cut_path(p: &str) -> (&str, &str, bool) {
    match p.bytes().position(is_sep) {
        Some(i) => (&p[..i], &p[i + 1..], true),
        None => (p, "", false),
    }
}

/// Whether `s` starts with `prefix`, ignoring ASCII case, any separator matching any, and
/// followed by a separator or nothing.
fn has_prefix_fold(s: &str, prefix: &str) -> bool {
    let (s, p) = (s.as_bytes(), prefix.as_bytes());
    if s.len() < p.len() {
        return false;
    }
    let same = p.iter().zip(s).all(|(&a, &b)| {
        if is_sep(a) {
            is_sep(b)
        } else {
            a.eq_ignore_ascii_case(&b)
        }
    });
    same && (s.len() == p.len() || is_sep(s[p.len()]))
}

/// The end of a UNC volume: the second separator from `prefix_len` on.
fn unc_len(path: &str, prefix_len: usize) -> usize {
    let mut count = 0;
    for (i, &c) in path.as_bytes().iter().enumerate().skip(prefix_len) {
        if is_sep(c) {
            count += 1;
            if count == 2 {
                return i;
            }
        }
    }
    path.len()
}

/// Go's `volumeNameLen`: the length of the leading volume name (`C:`, `\\host\share`,
/// `\\.\C:`, `\\?\UNC\host\share`).
pub(crate) fn volume_name_len(path: &str) -> usize {
    let b = path.as_bytes();
    if b.len() >= 2 && b[1] == b':' {
        // Go does not require the drive letter to be a letter.
        return 2;
    }
    if b.is_empty() || !is_sep(b[0]) {
        return 0;
    }
    if has_prefix_fold(path, "\\\\.\\UNC") {
        return unc_len(path, "\\\\.\\UNC\\".len());
    }
    if has_prefix_fold(path, "\\\\.")
        || has_prefix_fold(path, "\\\\?")
        || has_prefix_fold(path, "\\??")
    {
        if path.len() == 3 {
            return 3;
        }
        let (_, rest, ok) = cut_path(&path[4..]);
        if !ok {
            return path.len();
        }
        return path.len() - rest.len() - 1;
    }
    if b.len() >= 2 && is_sep(b[1]) {
        return unc_len(path, 2);
    }
    0
}

/// Go's `filepath.Clean` on Windows.
pub(crate) fn clean(original: &str) -> String {
    let vol_len = volume_name_len(original);
    let vol = original[..vol_len].replace('/', "\\");
    let path = &original[vol_len..];
    if path.is_empty() {
        let b = original.as_bytes();
        if vol_len > 1 && is_sep(b[0]) && is_sep(b[1]) {
            return vol; // a UNC volume alone
        }
        return vol + ".";
    }
    let rooted = is_sep(path.as_bytes()[0]);
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['\\', '/']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(part);
                }
            }
            _ => parts.push(part),
        }
    }
    let mut out = String::with_capacity(original.len() + 2);
    if rooted {
        out.push('\\');
    }
    out.push_str(&parts.join("\\"));
    if out.is_empty() {
        out.push('.');
    }
    // Go's postClean, for a path without a volume that cleaning changed: a first element
    // holding a colon would read as a volume name (`.\` is put before it), and a leading `\??`
    // as an NT object path (`\.` is put before it).
    if vol_len == 0 && !path.starts_with(out.as_str()) {
        let first = out.split('\\').next().unwrap_or_default();
        if first.contains(':') {
            out.insert_str(0, ".\\");
        } else if out.starts_with("\\??") {
            out.insert_str(0, "\\.");
        }
    }
    vol + &out
}

/// Go's `filepath.Join(dir, file)` on Windows (empty elements are left out).
pub(crate) fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        return if file.is_empty() {
            String::new()
        } else {
            clean(file)
        };
    }
    if file.is_empty() {
        return clean(dir);
    }
    let mut joined = String::with_capacity(dir.len() + file.len() + 1);
    joined.push_str(dir);
    let last = *dir.as_bytes().last().unwrap_or(&0);
    if is_sep(last) {
        // Never make a UNC path out of elements that are not one.
        let mut e = file.trim_start_matches(['\\', '/']);
        if dir.len() == 1 && (e == "??" || e.starts_with("??\\") || e.starts_with("??/")) {
            joined.push_str(".\\");
            e = file.trim_start_matches(['\\', '/']);
        }
        joined.push_str(e);
    } else if last == b':' {
        // `C:` + `f` is `C:f`, relative to the drive's current directory.
        joined.push_str(file);
    } else {
        joined.push('\\');
        joined.push_str(file);
    }
    clean(&joined)
}

/// Go's `filepath.Base` on Windows.
pub(crate) fn base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let path = path.trim_end_matches(['\\', '/']);
    let path = &path[volume_name_len(path)..];
    let last = match path.bytes().rposition(is_sep) {
        Some(i) => &path[i + 1..],
        None => path,
    };
    if last.is_empty() {
        "\\"
    } else {
        last
    }
}

/// Go's `filepath.Ext`: from the last `.` of the last element, or "".
pub(crate) fn ext(path: &str) -> &str {
    for (i, c) in path.bytes().enumerate().rev() {
        if is_sep(c) {
            break;
        }
        if c == b'.' {
            return &path[i..];
        }
    }
    ""
}

/// Go's `filepath.IsAbs` on Windows: a volume name then a separator, or any UNC or device path.
pub(crate) fn is_abs(path: &str) -> bool {
    let l = volume_name_len(path);
    if l == 0 {
        return false;
    }
    let b = path.as_bytes();
    if is_sep(b[0]) && is_sep(b[1]) {
        return true;
    }
    b.get(l).is_some_and(|&c| is_sep(c))
}

/// Go's `filepath.SplitList` on Windows: `;`-separated, where a `"`-quoted part may hold `;`
/// (the quotes are removed). An empty list gives no element.
pub(crate) fn split_list(list: &str) -> Vec<String> {
    if list.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in list.bytes().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                out.push(list[start..i].replace('"', ""));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(list[start..].replace('"', ""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names() {
        for (p, n) in [
            ("C:", 2),
            ("c:\\x", 2),
            ("C", 0),
            ("\\x", 0),
            ("\\\\host\\share\\x", 12),
            ("//host/share", 12),
            ("\\\\host", 6),
            ("\\\\.\\C:\\x", 6),
            ("\\\\?\\C:\\x", 6),
            ("\\\\.\\UNC\\host\\share\\x", 18),
            ("x:y", 2),
            ("1:", 2),
            ("\\??\\C:\\x", 6),
        ] {
            assert_eq!(volume_name_len(p), n, "{p}");
        }
    }

    #[test]
    fn clean_like_go() {
        for (p, want) in [
            ("", "."),
            ("C:", "C:."),
            ("C:\\", "C:\\"),
            ("C:/Users//me/./.aws", "C:\\Users\\me\\.aws"),
            ("C:\\a\\..\\..\\b", "C:\\b"),
            ("a\\..\\..\\b", "..\\b"),
            ("\\\\host\\share", "\\\\host\\share"),
            ("\\\\host\\share\\x\\..", "\\\\host\\share\\"),
            ("//host/share/x", "\\\\host\\share\\x"),
            ("a:b", "a:b"),
            ("x\\..\\c:d", ".\\c:d"),
            ("\\a\\b\\", "\\a\\b"),
            ("ab:c", "ab:c"),
            ("ab:c\\", "ab:c"),
            ("\\a\\..\\??\\c:\\x", "\\.\\??\\c:\\x"),
        ] {
            assert_eq!(clean(p), want, "{p}");
        }
    }

    #[test]
    fn join_like_go() {
        for (a, b, want) in [
            (
                "C:\\Windows\\system32",
                "cmd.exe",
                "C:\\Windows\\system32\\cmd.exe",
            ),
            (
                "C:\\Windows\\system32\\",
                "cmd.exe",
                "C:\\Windows\\system32\\cmd.exe",
            ),
            ("C:", "f", "C:f"),
            ("C:", "\\f", "C:\\f"),
            (".", "cmd.exe", "cmd.exe"),
            ("", "cmd.exe", "cmd.exe"),
            (
                "C:\\Users\\me",
                ".aws\\credentials",
                "C:\\Users\\me\\.aws\\credentials",
            ),
            ("\\", "\\host", "\\host"),
            ("dir", "", "dir"),
        ] {
            assert_eq!(join(a, b), want, "{a} + {b}");
        }
    }

    #[test]
    fn base_ext_abs() {
        assert_eq!(base("cmd.exe"), "cmd.exe");
        assert_eq!(base("C:\\x\\cmd.exe"), "cmd.exe");
        assert_eq!(base("C:cmd.exe"), "cmd.exe");
        assert_eq!(base("x/y/"), "y");
        assert_eq!(base("C:\\"), "\\");
        assert_eq!(base(""), ".");
        assert_eq!(ext("a\\b.exe"), ".exe");
        assert_eq!(ext("a.d\\b"), "");
        assert_eq!(ext("b."), ".");
        assert!(is_abs("C:\\x"));
        assert!(is_abs("\\\\host\\share\\x"));
        assert!(!is_abs("C:x"));
        assert!(!is_abs("\\x"));
        assert!(!is_abs("x"));
    }

    #[test]
    fn split_list_like_go() {
        assert_eq!(split_list(""), Vec::<String>::new());
        assert_eq!(split_list("a;b"), vec!["a", "b"]);
        assert_eq!(split_list("a;;b;"), vec!["a", "", "b", ""]);
        assert_eq!(split_list("\"C:\\x;y\";C:\\z"), vec!["C:\\x;y", "C:\\z"]);
    }
}
