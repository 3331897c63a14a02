//! A small scanner of `cmd.exe` command strings (what `cmd.exe /d /s /c "STRING"` will read), for
//! the shared cache's key on Windows: it finds what the string shows of its inputs, without
//! running or expanding anything.
//!
//! `cmd.exe` reads a line in two phases, and so does the scanner:
//!
//! 1. Variable references are expanded before anything else, quotes or carets notwithstanding:
//!    `%NAME%` (also `%NAME:~1,3%` and `%NAME:a=b%`), and `!NAME!` where delayed expansion is on
//!    (a registry setting the string does not show: such references are reported whenever the
//!    string holds a `!`). An undefined `%A%` stays as written and the scan of the line goes on
//!    from its second `%`, so which pairs of `%` form references depends on the values; the
//!    scanner reports every name between two `%`, which covers every reading. PowerShell's
//!    `$env:NAME` and `${env:NAME}` are reported too (a string that runs `powershell -Command`
//!    reads them there). Names are reported upper-cased: Windows variable names are
//!    case-insensitive (`%role%` is `%ROLE%`).
//! 2. The line is split into words and operators: blanks separate words, `"` quotes (the quote
//!    characters are removed from the word's text), `^` outside quotes takes the next character
//!    literally, and `&` `&&` `|` `||` `<` `>` `>>` `(` `)` outside quotes are operators. Each word
//!    records whether it is literal (no `%…%` or `!…!` in it, so its text is what the program
//!    gets) and whether any part of it was quoted.
//!
//! The scan is `unsure` when it cannot follow the string: a line break (cmd.exe stops reading
//! there), a trailing `^`, or an unterminated quote. The caller then keys on more (the working
//! directory and `PATH`), never on less. Every step consumes input: a hostile string cannot make
//! the scanner loop.

/// A word of the string, quotes and carets removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Word {
    /// The text without its quotes and carets; references kept as written (`%X%`).
    pub text: String,
    /// No variable reference in it: the text is what the program gets.
    pub literal: bool,
    /// Some part of it was quoted (so it is never an internal command's name).
    pub quoted: bool,
}

/// A token: a word or an operator (`&` `&&` `|` `||` `<` `>` `>>` `(` `)`).
pub(super) type Token = super::scan::Token<Word>;

/// What a command string shows (the variables referenced upper-cased).
pub(super) type Scan = super::scan::Scan<Word>;

/// `cmd.exe`'s internal commands that run something else, or change where or what runs (or the
/// environment), when they come first: the program is then found at run time.
pub(super) const RUNNING_BUILTINS: [&str; 17] = [
    "call", "start", "cd", "chdir", "pushd", "popd", "set", "setlocal", "endlocal", "path", "if",
    "for", "goto", "shift", "dpath", "ftype", "assoc",
];

/// `cmd.exe`'s other internal commands: they run nothing but `cmd.exe` itself, whose file the
/// runner finds (what they print depends on the string, which is keyed, and on the files they
/// are given).
pub(super) const INERT_BUILTINS: [&str; 27] = [
    "echo", "type", "rem", "ver", "vol", "dir", "cls", "color", "title", "exit", "pause", "prompt",
    "break", "verify", "date", "time", "copy", "del", "erase", "md", "mkdir", "rd", "rmdir", "ren",
    "rename", "move", "mklink",
];

/// Scans `s` (see the module's documentation).
pub(super) fn scan(s: &str) -> Scan {
    let mut out = Scan {
        vars: references(s),
        ..Scan::default()
    };
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut word: Option<Word> = None;
    let mut quoted = false;
    let finish = |word: &mut Option<Word>, out: &mut Scan| {
        if let Some(w) = word.take() {
            out.tokens.push(Token::Word(w));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' || c == '\r' {
            out.unsure = true;
            break;
        }
        if quoted {
            if c == '"' {
                quoted = false;
            } else {
                push(&mut word, c);
            }
            i += 1;
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                word.get_or_insert_with(new_word).quoted = true;
            }
            '^' => {
                i += 1;
                match chars.get(i) {
                    Some(&n) if n != '\n' && n != '\r' => push(&mut word, n),
                    _ => {
                        out.unsure = true;
                        break;
                    }
                }
            }
            ' ' | '\t' | '\x0b' | '\x0c' => finish(&mut word, &mut out),
            '&' | '|' | '<' | '>' | '(' | ')' => {
                finish(&mut word, &mut out);
                let doubled = chars.get(i + 1) == Some(&c) && matches!(c, '&' | '|' | '>');
                out.tokens.push(Token::Op(operator(c, doubled)));
                if doubled {
                    i += 1;
                }
            }
            _ => push(&mut word, c),
        }
        i += 1;
    }
    if quoted {
        out.unsure = true;
    }
    finish(&mut word, &mut out);
    for t in &mut out.tokens {
        if let Token::Word(w) = t {
            w.literal = !has_reference(&w.text);
        }
    }
    out
}

fn new_word() -> Word {
    Word::default()
}

fn push(word: &mut Option<Word>, c: char) {
    word.get_or_insert_with(new_word).text.push(c);
}

fn operator(c: char, doubled: bool) -> &'static str {
    match (c, doubled) {
        ('&', false) => "&",
        ('&', true) => "&&",
        ('|', false) => "|",
        ('|', true) => "||",
        ('<', _) => "<",
        ('>', false) => ">",
        ('>', true) => ">>",
        ('(', _) => "(",
        _ => ")",
    }
}

/// Whether `text` holds a `%NAME%` or `!NAME!` reference.
fn has_reference(text: &str) -> bool {
    !references(text).is_empty()
}

/// Every variable name `s` may reference (see the module's documentation), upper-cased.
pub(super) fn references(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for delim in ['%', '!'] {
        let marks: Vec<usize> = s.match_indices(delim).map(|(i, _)| i).collect();
        for pair in marks.windows(2) {
            let inner = &s[pair[0] + 1..pair[1]];
            let name = inner.split_once(':').map_or(inner, |(n, _)| n);
            if is_variable_name(name) {
                out.push(name.to_uppercase());
            }
        }
    }
    powershell_references(s, &mut out);
    out
}

/// A name `cmd.exe` may look up: not empty, no `=` (a variable name cannot hold one), no line
/// break, not starting with a blank (the text between two references: `%A% x %B%`), and not a
/// batch parameter (`%1`, `%~dp0`, `%*`), which `cmd /c` leaves as written.
fn is_variable_name(name: &str) -> bool {
    let Some(first) = name.chars().next() else {
        return false;
    };
    let batch_parameter = first.is_ascii_digit() || first == '~' || first == '*';
    !(batch_parameter || first.is_whitespace() || name.contains(['=', '\n', '\r']))
        && name.chars().count() <= 256
}

/// `$env:NAME` and `${env:NAME}` (PowerShell), any case.
pub(super) fn powershell_references(s: &str, out: &mut Vec<String>) {
    let lower = s.to_ascii_lowercase();
    for (i, _) in lower.match_indices("$env:") {
        let name: String = s[i + 5..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name.to_uppercase());
        }
    }
    for (i, _) in lower.match_indices("${env:") {
        if let Some(end) = s[i + 6..].find('}') {
            let name = &s[i + 6..i + 6 + end];
            if !name.is_empty() {
                out.push(name.to_uppercase());
            }
        }
    }
}

/// The words of a command string that is one simple command of literal words, as the program
/// it starts receives them (its C runtime's split of the command line, the rules Rust's std and
/// MSVCRT follow); `None` when the string holds anything `cmd.exe` reads itself (references,
/// operators, carets, parentheses, line breaks). (`processcreds clear` reads a
/// profile's `credential_process` with it.)
pub(super) fn simple_command_words(cmd: &str) -> Option<Vec<String>> {
    // Without these, cmd.exe passes the line on as it is, whatever its quotes.
    if cmd.contains(['%', '!', '^', '&', '|', '<', '>', '(', ')', '\n', '\r']) {
        return None;
    }
    let words = split_command_line(cmd);
    (!words[0].is_empty()).then_some(words)
}

/// The split of a command line by the MSVCRT rules (`CommandLineToArgvW`): the program name
/// ends at the first blank outside quotes (quotes only toggle there); in the arguments, `2n`
/// backslashes before a quote are `n` backslashes and a quote that toggles, `2n+1` are `n` and a
/// literal quote, and `""` inside quotes is a literal quote.
fn split_command_line(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.trim_start_matches([' ', '\t']).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // The program name.
    let mut name = String::new();
    let mut quoted = false;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => break,
            _ => name.push(c),
        }
    }
    out.push(name);
    loop {
        while i < chars.len() && matches!(chars[i], ' ' | '\t') {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                let start = i;
                while i < chars.len() && chars[i] == '\\' {
                    i += 1;
                }
                let n = i - start;
                if chars.get(i) == Some(&'"') {
                    arg.extend(std::iter::repeat_n('\\', n / 2));
                    if n % 2 == 1 {
                        arg.push('"');
                        i += 1;
                    }
                } else {
                    arg.extend(std::iter::repeat_n('\\', n));
                }
                continue;
            }
            if c == '"' {
                if quoted && chars.get(i + 1) == Some(&'"') {
                    arg.push('"');
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                i += 1;
                continue;
            }
            if !quoted && matches!(c, ' ' | '\t') {
                break;
            }
            arg.push(c);
            i += 1;
        }
        out.push(arg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        scan(s).words().map(|w| w.text.clone()).collect()
    }

    #[test]
    fn splits_and_unquotes_as_cmd() {
        assert_eq!(
            words(r#""C:\Program Files\x\helper.bat" --flag "two words""#),
            ["C:\\Program Files\\x\\helper.bat", "--flag", "two words"]
        );
        assert_eq!(words("a^&b c"), ["a&b", "c"]);
        assert_eq!(words("a&&b|c>d"), ["a", "b", "c", "d"]);
        let s = scan("a && (b) > c");
        assert_eq!(
            s.tokens
                .iter()
                .filter_map(|t| match t {
                    Token::Op(o) => Some(*o),
                    Token::Word(_) => None,
                })
                .collect::<Vec<_>>(),
            ["&&", "(", ")", ">"]
        );
        assert!(!s.unsure);
        let s = scan(r#""quoted" x"#);
        assert!(matches!(&s.tokens[0], Token::Word(w) if w.quoted && w.literal));
    }

    #[test]
    fn finds_the_references() {
        assert_eq!(scan("helper --role %ROLE%").vars, ["ROLE"]);
        assert_eq!(scan("helper --role %role%").vars, ["ROLE"]);
        assert_eq!(scan(r#"helper "%Role%""#).vars, ["ROLE"]);
        assert_eq!(scan("helper %PATH:~0,5% %X:a=b%").vars, ["PATH", "X"]);
        // An undefined %A% leaves its second % to start a reference: both readings count.
        assert_eq!(scan("%A%B%").vars, ["A", "B"]);
        assert_eq!(scan("echo 50%").vars, Vec::<String>::new());
        assert_eq!(scan("x %1 %~dp0 %*").vars, Vec::<String>::new());
        assert_eq!(scan("x !DELAYED!").vars, ["DELAYED"]);
        assert_eq!(
            scan("powershell -Command \"h $env:Role ${env:Other Name}\"").vars,
            ["ROLE", "OTHER NAME"]
        );
        assert!(!scan("helper %ROLE%")
            .tokens
            .iter()
            .any(|t| matches!(t, Token::Word(w) if w.text == "%ROLE%" && w.literal)));
    }

    #[test]
    fn odd_strings_end_unsure() {
        for s in ["a\nb", "a ^", "\"open", "a\r\nb"] {
            assert!(scan(s).unsure, "{s:?}");
        }
        for s in ["", "a", "\"a b\" c", "a ^^ b"] {
            assert!(!scan(s).unsure, "{s:?}");
        }
        // Long hostile strings end.
        let long = "%^\"&(".repeat(10_000);
        let _ = scan(&long);
    }

    #[test]
    fn simple_words_as_the_program_gets_them() {
        assert_eq!(
            simple_command_words(
                r#"processcreds.exe cache -- "C:\Program Files\h.exe" a\"b "c d""#
            ),
            Some(vec![
                "processcreds.exe".into(),
                "cache".into(),
                "--".into(),
                "C:\\Program Files\\h.exe".into(),
                "a\"b".into(),
                "c d".into()
            ])
        );
        assert_eq!(
            simple_command_words(r#""C:\x y\processcreds.exe" cache --command "h --x""#),
            Some(vec![
                "C:\\x y\\processcreds.exe".into(),
                "cache".into(),
                "--command".into(),
                "h --x".into()
            ])
        );
        assert_eq!(
            simple_command_words(r#"p a\\"b c" d"#).unwrap()[1],
            "a\\b c"
        );
        for s in [
            "h %ROLE%", "a & b", "a ^x", "(a)", "a > f", "", "  ", "a\nb",
        ] {
            assert_eq!(simple_command_words(s), None, "{s:?}");
        }
    }
}
