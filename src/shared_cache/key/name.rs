//! The program's name as a provider's events give it: the file name of what runs, never its
//! arguments (a command line may carry a secret).

use super::{cmd, sh, Dialect};
use crate::runner::Program;

/// The file name of the program `program` runs: an argv's first element's; for a command
/// string, its first command word's as the scanner finds it (after any assignments such as
/// `TOKEN=secret helper`), or the shell's (`sh`, `cmd.exe`) when the scanner cannot tell (an
/// expansion, a redirection or other syntax first, a string it cannot follow).
pub(crate) fn program_name(program: &Program) -> String {
    program_name_in(program, Dialect::HOST)
}

fn program_name_in(program: &Program, dialect: Dialect) -> String {
    let shell = match dialect {
        Dialect::Posix => "sh",
        Dialect::Windows => "cmd.exe",
    };
    let word = match program {
        Program::Argv(argv) => argv.first().cloned(),
        Program::Shell(cmd) => match dialect {
            Dialect::Posix => first_sh_word(cmd),
            Dialect::Windows => first_cmd_word(cmd),
        },
    };
    word.as_deref()
        .map(|w| file_name(w, dialect))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(shell)
        .to_owned()
}

fn file_name(path: &str, dialect: Dialect) -> &str {
    let seps: &[char] = match dialect {
        Dialect::Posix => &['/'],
        Dialect::Windows => &['/', '\\', ':'],
    };
    path.trim_end_matches(seps)
        .rsplit(seps)
        .next()
        .unwrap_or(path)
}

/// The first command word of a `sh` string, after its assignments; `None` when something else
/// comes first or the word is not literal.
fn first_sh_word(cmd: &str) -> Option<String> {
    let scan = sh::scan(cmd);
    if scan.unsure {
        return None;
    }
    for t in scan.tokens {
        match t {
            sh::Token::Word(w) if w.assignment => continue,
            sh::Token::Word(w) if w.is_command_word() && w.literal => return Some(w.text),
            _ => return None,
        }
    }
    None
}

/// The first word of a `cmd.exe` string; `None` when it is not literal or something else comes
/// first.
fn first_cmd_word(cmd: &str) -> Option<String> {
    let scan = cmd::scan(cmd);
    if scan.unsure {
        return None;
    }
    match scan.tokens.into_iter().next()? {
        cmd::Token::Word(w) if w.literal => Some(w.text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(s: &str) -> String {
        program_name_in(&Program::Shell(s.into()), Dialect::Posix)
    }

    #[test]
    fn names_never_carry_arguments() {
        assert_eq!(sh("/opt/bin/creds --profile prod --token s3cr3t"), "creds");
        assert_eq!(sh("TOKEN=s3cr3t AWS_X=1 helper arg"), "helper");
        assert_eq!(sh(r#"printf '{"SecretAccessKey":"s3cr3t"}'"#), "printf");
        assert_eq!(sh("'my helper' x"), "my helper");
        assert_eq!(sh("$HELPER --x"), "sh");
        assert_eq!(sh("2>/dev/null helper"), "sh");
        assert_eq!(sh("$(cat s3cr3t)"), "sh");
        assert_eq!(sh("~/bin/helper --x"), "helper");
        assert_eq!(sh("TOKEN=s3cr3t"), "sh");
        assert_eq!(sh(""), "sh");
        assert_eq!(sh("echo 'unterminated"), "sh");
        let argv = Program::Argv(vec!["/usr/local/bin/helper".into(), "s3cr3t".into()]);
        assert_eq!(program_name_in(&argv, Dialect::Posix), "helper");
        assert_eq!(
            program_name_in(&Program::Argv(vec!["".into()]), Dialect::Posix),
            "sh"
        );
        let win = Program::Shell(r#""C:\Program Files\x\creds.exe" --token s3cr3t"#.into());
        assert_eq!(program_name_in(&win, Dialect::Windows), "creds.exe");
        let win = Program::Shell("%HELPER% x".into());
        assert_eq!(program_name_in(&win, Dialect::Windows), "cmd.exe");
    }
}
