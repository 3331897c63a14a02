//! A small scanner of POSIX shell command strings (what `sh -c STRING` will read), for the
//! shared cache's key: it finds what the string shows of its inputs, without running or
//! expanding anything.
//!
//! It splits the string into words and operators as `sh` does (blanks, `;` `&` `|` `(` `)` `<`
//! `>` and newlines; `'…'`, `"…"` and backslashes quote; `#` starts a comment at the start of a
//! word), removes the quotes, and reports:
//!
//! - every variable referenced: `$NAME` and `${NAME…}` (also `${#NAME}`, `${NAME:-…}` with the
//!   references inside it), outside single quotes, inside double quotes too; special parameters
//!   (`$1`, `$@`, `$$`, …) are not variables;
//! - each word: its text with quotes removed (expansions kept as written), whether it is literal
//!   (no expansion, no unquoted pattern character `*` `?` `[`), whether it starts with an
//!   unquoted `~`, whether it is an assignment (`NAME=…`) or a redirection's number (`2>`);
//! - whether the scan could not follow the string (`unsure`): a command substitution (`$(…)`,
//!   backquotes), an arithmetic expansion (`$((…))`, whose names are reported as variables), a
//!   here-document, an unterminated quote or expansion, a trailing backslash, or nesting deeper
//!   than [`MAX_DEPTH`]. The references inside a command substitution are still reported.
//!
//! When unsure, the caller keys on more (the working directory and `PATH`), never on less. A
//! hostile string cannot make the scanner loop or recurse without bound: every step consumes
//! input, and nesting stops at [`MAX_DEPTH`].

/// How deep command substitutions and `${…}` nest before the scan gives up (unsure).
pub(super) const MAX_DEPTH: usize = 8;

/// A word of the string, quotes removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Word {
    /// The text without its quotes; expansions are kept as written (`$X`, `${X:-y}`).
    pub text: String,
    /// No expansion and no unquoted pattern character: the text is what the shell passes.
    pub literal: bool,
    /// Starts with an unquoted `~`.
    pub tilde: bool,
    /// Starts with an expansion of `HOME` (`$HOME`, `${HOME}`).
    pub home: bool,
    /// An assignment (`NAME=value`, the name unquoted).
    pub assignment: bool,
    /// Unquoted digits right before `<` or `>`: a redirection's descriptor.
    pub io_number: bool,
    /// Some part of it was quoted (so it is never a reserved word).
    pub quoted: bool,
}

impl Word {
    /// A word that can be a command's name: not an assignment, a descriptor number or an
    /// unquoted reserved word.
    pub fn is_command_word(&self) -> bool {
        let reserved = !self.quoted && RESERVED.contains(&self.text.as_str());
        !(self.assignment || self.io_number || reserved)
    }
}

/// A token: a word or an operator (`;` `&` `|` `&&` `||` `;;` `(` `)` a redirection operator,
/// or a newline, as `;`).
pub(super) type Token = super::scan::Token<Word>;

/// What a command string shows.
pub(super) type Scan = super::scan::Scan<Word>;

/// Scans `s` (see the module's documentation).
pub(super) fn scan(s: &str) -> Scan {
    let chars: Vec<char> = s.chars().collect();
    let mut sc = Scanner {
        chars: &chars,
        pos: 0,
        out: Scan::default(),
        depth: 0,
    };
    sc.run();
    sc.out
}

struct Scanner<'a> {
    chars: &'a [char],
    pos: usize,
    out: Scan,
    depth: usize,
}

/// The word being built.
#[derive(Default)]
struct Building {
    word: Word,
    started: bool,
    /// Still only unquoted name characters so far (an assignment if `=` comes next).
    name_so_far: bool,
    /// Only unquoted digits so far.
    digits_so_far: bool,
}

impl Building {
    fn new() -> Building {
        Building {
            word: Word {
                literal: true,
                ..Word::default()
            },
            started: false,
            name_so_far: true,
            digits_so_far: true,
        }
    }

    /// Appends quoted or special text: the word can no longer be an assignment's name or a
    /// descriptor number.
    fn push_other(&mut self, c: char) {
        self.started = true;
        self.name_so_far = false;
        self.digits_so_far = false;
        self.word.text.push(c);
    }

    fn push_str_other(&mut self, s: &str) {
        self.started = true;
        self.name_so_far = false;
        self.digits_so_far = false;
        self.word.text.push_str(s);
    }
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// The operators, longer ones first.
const OPERATORS: [&str; 17] = [
    "&&", "||", ";;", "<<-", "<<", ">>", "<&", ">&", "<>", ">|", ";", "&", "|", "(", ")", "<", ">",
];

impl Scanner<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn run(&mut self) {
        let mut b = Building::new();
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' => {
                    self.pos += 1;
                    self.finish(&mut b);
                }
                '\n' => {
                    self.pos += 1;
                    self.finish(&mut b);
                    self.out.tokens.push(Token::Op(";"));
                }
                ';' | '&' | '|' | '(' | ')' | '<' | '>' => {
                    if (c == '<' || c == '>') && b.started && b.digits_so_far {
                        b.word.io_number = true;
                    }
                    self.finish(&mut b);
                    let op = self.operator();
                    if op.starts_with("<<") {
                        // A here-document: its body is on the next lines.
                        self.out.unsure = true;
                    }
                    self.out.tokens.push(Token::Op(op));
                }
                '#' if !b.started => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                _ => self.word_char(&mut b, c),
            }
        }
        self.finish(&mut b);
    }

    fn operator(&mut self) -> &'static str {
        for op in OPERATORS {
            let n = op.chars().count();
            if (0..n).all(|i| self.peek(i) == op.chars().nth(i)) {
                self.pos += n;
                return op;
            }
        }
        // Unreachable: the caller saw one of the operator characters.
        self.pos += 1;
        ";"
    }

    fn finish(&mut self, b: &mut Building) {
        if b.started {
            self.out
                .tokens
                .push(Token::Word(std::mem::take(&mut b.word)));
        }
        *b = Building::new();
    }

    /// One character of a word, outside quotes.
    fn word_char(&mut self, b: &mut Building, c: char) {
        let first = !b.started;
        match c {
            '\\' => {
                self.pos += 1;
                match self.peek(0) {
                    Some('\n') => self.pos += 1, // a line continuation
                    Some(n) => {
                        self.pos += 1;
                        b.word.quoted = true;
                        b.push_other(n);
                    }
                    None => {
                        self.out.unsure = true;
                        b.push_other('\\');
                    }
                }
            }
            '\'' => {
                self.pos += 1;
                b.word.quoted = true;
                b.started = true;
                b.name_so_far = false;
                b.digits_so_far = false;
                loop {
                    match self.peek(0) {
                        Some('\'') => {
                            self.pos += 1;
                            break;
                        }
                        Some(n) => {
                            self.pos += 1;
                            b.word.text.push(n);
                        }
                        None => {
                            self.out.unsure = true;
                            break;
                        }
                    }
                }
            }
            '"' => {
                self.pos += 1;
                b.word.quoted = true;
                b.started = true;
                b.name_so_far = false;
                b.digits_so_far = false;
                self.double_quoted(b, first);
            }
            '$' => {
                self.dollar(b, first);
            }
            '`' => {
                self.backquote(b, first);
            }
            '=' if b.started && b.name_so_far => {
                self.pos += 1;
                b.word.assignment = true;
                b.push_other('=');
            }
            '*' | '?' | '[' => {
                self.pos += 1;
                b.word.literal = false;
                b.push_other(c);
            }
            '~' if first => {
                self.pos += 1;
                b.word.tilde = true;
                b.push_other('~');
            }
            _ => {
                self.pos += 1;
                let name_char = if b.word.text.is_empty() {
                    is_name_start(c)
                } else {
                    is_name_char(c)
                };
                b.name_so_far &= name_char;
                b.digits_so_far &= c.is_ascii_digit();
                b.started = true;
                b.word.text.push(c);
            }
        }
    }

    /// Inside `"…"` (the opening quote consumed).
    fn double_quoted(&mut self, b: &mut Building, first: bool) {
        let mut at_start = first;
        loop {
            match self.peek(0) {
                None => {
                    self.out.unsure = true;
                    return;
                }
                Some('"') => {
                    self.pos += 1;
                    return;
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek(0) {
                        Some(n @ ('$' | '`' | '"' | '\\')) => {
                            self.pos += 1;
                            b.word.text.push(n);
                        }
                        Some('\n') => self.pos += 1,
                        Some(_) => b.word.text.push('\\'),
                        None => {
                            self.out.unsure = true;
                            return;
                        }
                    }
                }
                Some('$') => self.dollar(b, at_start),
                Some('`') => self.backquote(b, at_start),
                Some(n) => {
                    self.pos += 1;
                    b.word.text.push(n);
                }
            }
            at_start = false;
        }
    }

    /// `$…` at the current position (outside single quotes). `first`: the word starts here.
    fn dollar(&mut self, b: &mut Building, first: bool) {
        let start = self.pos;
        self.pos += 1;
        match self.peek(0) {
            Some('{') => {
                self.pos += 1;
                if matches!(self.peek(0), Some('#' | '!'))
                    && self.peek(1).is_some_and(is_name_start)
                {
                    self.pos += 1;
                }
                let name = self.name();
                let closed_at_once = self.peek(0) == Some('}');
                if let Some(n) = &name {
                    self.out.vars.push(n.clone());
                }
                self.braced_rest();
                if first && closed_at_once && name.as_deref() == Some("HOME") {
                    b.word.home = true;
                }
            }
            Some('(') => {
                if self.peek(1) == Some('(') {
                    self.pos += 2;
                    self.arithmetic();
                } else {
                    self.pos += 1;
                    self.substitution(')');
                }
            }
            Some(c) if is_name_start(c) => {
                let name = self.name().unwrap_or_default();
                if first && name == "HOME" {
                    b.word.home = true;
                }
                self.out.vars.push(name);
            }
            Some(c) if c.is_ascii_digit() || "@*#?-$!".contains(c) => {
                self.pos += 1; // a special parameter
            }
            _ => {
                // A lone `$`: literal.
                b.push_other('$');
                return;
            }
        }
        b.word.literal = false;
        let text: String = self.chars[start..self.pos].iter().collect();
        b.push_str_other(&text);
    }

    fn name(&mut self) -> Option<String> {
        if !self.peek(0).is_some_and(is_name_start) {
            return None;
        }
        let mut n = String::new();
        while let Some(c) = self.peek(0).filter(|&c| is_name_char(c)) {
            n.push(c);
            self.pos += 1;
        }
        Some(n)
    }

    /// The rest of `${NAME…}` up to its `}`, with the references inside.
    fn braced_rest(&mut self) {
        if self.depth >= MAX_DEPTH {
            self.out.unsure = true;
            self.pos = self.chars.len();
            return;
        }
        self.depth += 1;
        let mut scratch = Building::new();
        let mut dquote = false;
        loop {
            match self.peek(0) {
                None => {
                    self.out.unsure = true;
                    break;
                }
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') => self.pos += 2,
                Some('\'') if !dquote => {
                    self.pos += 1;
                    while self.peek(0).is_some_and(|c| c != '\'') {
                        self.pos += 1;
                    }
                    if self.peek(0).is_none() {
                        self.out.unsure = true;
                        break;
                    }
                    self.pos += 1;
                }
                Some('"') => {
                    dquote = !dquote;
                    self.pos += 1;
                }
                Some('$') => self.dollar(&mut scratch, false),
                Some('`') => self.backquote(&mut scratch, false),
                Some(_) => self.pos += 1,
            }
        }
        self.pos = self.pos.min(self.chars.len());
        self.depth -= 1;
    }

    /// `$((…))` (the `$((` consumed): unsure, every name inside counted as a reference.
    fn arithmetic(&mut self) {
        self.out.unsure = true;
        let mut depth = 2usize;
        while let Some(c) = self.peek(0) {
            match c {
                '(' => {
                    depth += 1;
                    self.pos += 1;
                }
                ')' => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return;
                    }
                }
                '$' => {
                    let mut scratch = Building::new();
                    self.dollar(&mut scratch, false);
                }
                c if is_name_start(c) => {
                    let n = self.name().unwrap_or_default();
                    self.out.vars.push(n);
                }
                _ => self.pos += 1,
            }
        }
    }

    /// A command substitution (`$(` consumed; `close` is `)`): unsure, its text scanned as a
    /// command string of its own for the references it makes.
    fn substitution(&mut self, close: char) {
        self.out.unsure = true;
        let start = self.pos;
        let mut depth = 1usize;
        let mut squote = false;
        let mut dquote = false;
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\\' if !squote => self.pos += 1,
                '\'' if !dquote => squote = !squote,
                '"' if !squote => dquote = !dquote,
                '(' if !squote && !dquote => depth += 1,
                c if c == close && !squote && !dquote => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = if depth == 0 { self.pos - 1 } else { self.pos };
        let end = end.min(self.chars.len()).max(start);
        self.nested(start, end);
    }

    /// `` `…` `` at the current position: unsure, scanned as a command string of its own.
    fn backquote(&mut self, b: &mut Building, _first: bool) {
        self.out.unsure = true;
        let begin = self.pos;
        self.pos += 1;
        let start = self.pos;
        while let Some(c) = self.peek(0) {
            if c == '\\' {
                self.pos += 2;
                continue;
            }
            self.pos += 1;
            if c == '`' {
                break;
            }
        }
        self.pos = self.pos.min(self.chars.len());
        let end = if self.pos > start && self.chars[self.pos - 1] == '`' {
            self.pos - 1
        } else {
            self.pos
        };
        self.nested(start, end.max(start));
        b.word.literal = false;
        let text: String = self.chars[begin..self.pos].iter().collect();
        b.push_str_other(&text);
    }

    /// Scans `chars[start..end]` as a command string of its own, for its references.
    fn nested(&mut self, start: usize, end: usize) {
        if self.depth >= MAX_DEPTH {
            self.out.unsure = true;
            return;
        }
        let mut inner = Scanner {
            chars: &self.chars[start..end],
            pos: 0,
            out: Scan::default(),
            depth: self.depth + 1,
        };
        inner.run();
        self.out.vars.extend(inner.out.vars);
    }
}

/// The reserved words of the POSIX shell (and two of bash's), which are syntax when they come
/// first, unquoted.
pub(super) const RESERVED: [&str; 19] = [
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "in", "{", "}", "!", "function", "select", "[[",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        scan(s)
            .tokens
            .into_iter()
            .map(|t| match t {
                Token::Word(w) => w.text,
                Token::Op(o) => format!("<{o}>"),
            })
            .collect()
    }

    fn first(s: &str) -> Word {
        match scan(s).tokens.into_iter().next() {
            Some(Token::Word(w)) => w,
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn splits_and_unquotes_as_sh() {
        assert_eq!(words("a b\tc"), ["a", "b", "c"]);
        assert_eq!(words(r#"'a b' "c d" e\ f"#), ["a b", "c d", "e f"]);
        assert_eq!(words(r#""a\"b\\c\d\$e""#), [r#"a"b\c\d$e"#]);
        assert_eq!(
            words("a;b&&c||d|e&f"),
            ["a", "<;>", "b", "<&&>", "c", "<||>", "d", "<|>", "e", "<&>", "f"]
        );
        assert_eq!(words("a\nb"), ["a", "<;>", "b"]);
        assert_eq!(words("a \\\nb"), ["a", "b"], "line continuation");
        assert_eq!(words("a # c d\nb"), ["a", "<;>", "b"], "comment");
        assert_eq!(words("a#b"), ["a#b"], "not a comment inside a word");
        assert_eq!(words("x 2>/dev/null"), ["x", "2", "<>>", "/dev/null"]);
        assert!(first("2>x y").io_number);
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words("  \t "), Vec::<String>::new());
    }

    #[test]
    fn words_know_what_they_hold() {
        let w = first("/bin/creds --x");
        assert!(w.literal && !w.tilde && !w.assignment && !w.quoted);
        assert!(first("'/bin/creds'").literal);
        assert!(!first("creds*").literal, "a pattern");
        assert!(!first("$X").literal);
        assert!(!first("\"$X\"").literal);
        assert!(first("'$X'").literal, "single-quoted: literal");
        assert!(first("~/bin/creds").tilde);
        assert!(!first("'~'/bin/creds").tilde);
        assert!(first("A=1").assignment);
        assert!(first("A_1=").assignment);
        assert!(!first("'A'=1").assignment);
        assert!(!first("1A=1").assignment);
        assert!(!first("-A=1").assignment);
        assert!(first("$HOME/bin/x").home);
        assert!(first("${HOME}/bin/x").home);
        assert!(!first("${HOME:-/x}/bin/x").home);
        assert!(!first("$HOMEX/bin").home);
        assert!(!first("x$HOME").home);
    }

    #[test]
    fn finds_the_references() {
        let vars = |s: &str| scan(s).vars;
        assert_eq!(vars(r#"helper --role "$ROLE""#), ["ROLE"]);
        assert_eq!(
            vars("helper $A${B}${#C}${D:-$E}${F:-'$G'}"),
            ["A", "B", "C", "D", "E", "F"]
        );
        assert_eq!(vars("helper '$A' \"$B\" \\$C $"), ["B"]);
        assert_eq!(vars("h $1 $@ $$ $? ${10}"), Vec::<String>::new());
        assert_eq!(vars("h \"${X}y\"z$Y_1-"), ["X", "Y_1"]);
        let s = scan("h $(cat $F) `echo $G` $((N + 1))");
        assert_eq!(s.vars, ["F", "G", "N"]);
        assert!(s.unsure);
        assert!(!scan("h $A").unsure);
    }

    #[test]
    fn odd_and_hostile_strings_end_unsure() {
        for s in [
            "h 'unterminated",
            "h \"unterminated",
            "h ${X",
            "h $(x",
            "h `x",
            "h \\",
            "h <<EOF\nx\nEOF",
            "h $((1",
            &"$(".repeat(100),
            &"${X:-".repeat(100),
        ] {
            let sc = scan(s);
            assert!(sc.unsure, "{s:?}");
        }
        // Long input is scanned in one pass.
        let long = "a ".repeat(100_000);
        assert_eq!(scan(&long).tokens.len(), 100_000);
    }
}
