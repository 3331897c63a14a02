//! What both command-string scanners give (`sh.rs` for POSIX `sh`, `cmd.rs` for `cmd.exe`),
//! each with the words of its own dialect: the tokens, the variables referenced, and whether the
//! scan could follow the string.

/// A token: a word or an operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Token<W> {
    Word(W),
    /// An operator, as the dialect's scanner names it.
    Op(&'static str),
}

/// What a command string shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Scan<W> {
    pub tokens: Vec<Token<W>>,
    /// Variables referenced, in order of appearance (with repeats).
    pub vars: Vec<String>,
    /// The scanner could not follow the string: the caller keys on more.
    pub unsure: bool,
}

impl<W> Scan<W> {
    /// Every word, operators skipped.
    pub(super) fn words(&self) -> impl Iterator<Item = &W> {
        self.tokens.iter().filter_map(|t| match t {
            Token::Word(w) => Some(w),
            Token::Op(_) => None,
        })
    }

    /// The words after the first, up to the first operator: the first command's arguments.
    pub(super) fn arguments(&self) -> impl Iterator<Item = &W> {
        self.tokens.iter().skip(1).map_while(|t| match t {
            Token::Word(w) => Some(w),
            Token::Op(_) => None,
        })
    }
}
