//! Command lines as `CreateProcessW` takes them.
//!
//! A command string goes to `cmd.exe /d /s /c "<command>"` verbatim (D10): with `/s`, cmd.exe
//! removes exactly the first and the last quote of what follows `/c` and runs the rest unchanged,
//! so quoted paths (`"C:\Program Files\helper.exe" --flag`) and escaped quotes reach the command
//! as written. `/d` skips the AutoRun commands of the registry, which would otherwise run before
//! every helper. An argv is joined with the MSVCRT quoting rules (`CommandLineToArgvW` and the C
//! runtime split it back into the same arguments), exactly as Go's `syscall.makeCmdLine` does.

/// The command line that runs `command` through cmd.exe, verbatim.
pub(super) fn shell(command: &str) -> String {
    format!("cmd.exe /d /s /c \"{command}\"")
}

/// The command line of `argv`, each argument quoted by the MSVCRT rules.
pub(super) fn argv(argv: &[String]) -> String {
    let mut line = String::new();
    for a in argv {
        if !line.is_empty() {
            line.push(' ');
        }
        append_escaped(&mut line, a);
    }
    line
}

/// Go's `syscall.appendEscapeArg`: an empty argument is `""`; an argument holding a space or a
/// tab is put in quotes; a quote is escaped with a backslash, and the backslashes just before a
/// quote (or before the closing quote) are doubled. Anything else is copied as is.
fn append_escaped(b: &mut String, s: &str) {
    if s.is_empty() {
        b.push_str("\"\"");
        return;
    }
    let needs_backslash = s.contains(['"', '\\']);
    let has_space = s.contains([' ', '\t']);
    if !needs_backslash && !has_space {
        b.push_str(s);
        return;
    }
    if !needs_backslash {
        b.push('"');
        b.push_str(s);
        b.push('"');
        return;
    }
    if has_space {
        b.push('"');
    }
    let mut slashes = 0;
    for c in s.chars() {
        match c {
            '\\' => slashes += 1,
            '"' => {
                b.extend(std::iter::repeat_n('\\', slashes + 1));
                slashes = 0;
            }
            _ => slashes = 0,
        }
        b.push(c);
    }
    if has_space {
        b.extend(std::iter::repeat_n('\\', slashes));
        b.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> String {
        argv(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    // The expectations are those of Go's own syscall.EscapeArg tests.
    #[test]
    fn msvcrt_quoting_like_go() {
        for (arg, want) in [
            ("", "\"\""),
            ("a", "a"),
            (" ", "\" \""),
            ("\\", "\\"),
            ("\"", "\\\""),
            ("\\\"", "\\\\\\\""),
            ("\\\\\"", "\\\\\\\\\\\""),
            ("\\\\ ", "\"\\\\ \""),
            (" \\\\", "\" \\\\\\\\\""),
            ("a ", "\"a \""),
            ("C:\\", "C:\\"),
            (
                "C:\\Program Files (x32)\\Common\\",
                "\"C:\\Program Files (x32)\\Common\\\\\"",
            ),
            ("C:\\Users\\Игорь\\", "C:\\Users\\Игорь\\"),
            ("Андрей\\file", "Андрей\\file"),
            ("C:\\Windows\\temp", "C:\\Windows\\temp"),
            ("c:\\temp\\newfile", "c:\\temp\\newfile"),
            ("\\\\?\\C:\\Windows", "\\\\?\\C:\\Windows"),
            ("\\\\?\\", "\\\\?\\"),
            ("\\\\.\\C:\\Windows\\", "\\\\.\\C:\\Windows\\"),
            ("\\\\server\\share\\file", "\\\\server\\share\\file"),
            (
                "\\\\newserver\\tempshare\\really.txt",
                "\\\\newserver\\tempshare\\really.txt",
            ),
            ("a\tb", "\"a\tb\""),
        ] {
            assert_eq!(line(&[arg]), want, "{arg:?}");
        }
        assert_eq!(line(&["x.exe", "a b", "", "c"]), "x.exe \"a b\" \"\" c");
    }

    #[test]
    fn shell_is_verbatim() {
        assert_eq!(
            shell("\"C:\\dir with space\\h.bat\" --x \"a\\\"b\""),
            "cmd.exe /d /s /c \"\"C:\\dir with space\\h.bat\" --x \"a\\\"b\"\""
        );
    }
}
