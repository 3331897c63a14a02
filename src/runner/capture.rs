//! What a run keeps of the helper's output: stdout bounded by `MaxBufSize` (D3) in memory that
//! is wiped whenever it is let go, and the last bytes of a captured stderr. Platform-independent:
//! a driver reads into the room these buffers hand out (POSIX) or copies what its reads returned
//! (Windows).

use zeroize::Zeroizing;

/// How much captured stderr is kept while the helper runs.
const STDERR_KEEP: usize = 64 * 1024;
/// How much of the captured stderr is appended to an error.
const STDERR_REPORT: usize = 4 * 1024;
/// The first room of stdout (most helpers print less).
const FIRST_ROOM: usize = 8192;
/// Read size of the scratch buffer (stdout past the limit, captured stderr).
pub(crate) const CHUNK: usize = 64 * 1024;

/// Go's `strings.TrimSpace` set that may follow the limit: JSON whitespace.
fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Stdout bounded by `MaxBufSize` (D3). The storage is initialised (zeroed) and grows by
/// doubling into a new allocation, the old one wiped, so no copy of a secret is left behind in
/// freed memory. Bytes past the limit go to a scratch buffer and may only be JSON whitespace.
pub(crate) struct StdoutBuf {
    /// `buf[..filled]` is the output; the rest is room, zeroed.
    buf: Zeroizing<Vec<u8>>,
    filled: usize,
    limit: usize,
    exceeded: bool,
}

impl StdoutBuf {
    pub(crate) fn new(limit: usize) -> StdoutBuf {
        StdoutBuf {
            buf: Zeroizing::new(Vec::new()),
            filled: 0,
            limit,
            exceeded: false,
        }
    }

    /// Whether a byte other than JSON whitespace came past the limit.
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// Where the next read goes: the room below the limit (grown if there is none left), or,
    /// at the limit, `scratch`. Never empty.
    pub(crate) fn room<'a>(&'a mut self, scratch: &'a mut Scratch) -> &'a mut [u8] {
        let want = self.limit - self.filled;
        if want == 0 {
            return scratch.get();
        }
        if self.filled == self.buf.len() {
            let new_len = match self.buf.len() {
                0 => FIRST_ROOM,
                len => len * 2,
            }
            .min(self.limit);
            let mut grown = Zeroizing::new(vec![0u8; new_len]);
            grown[..self.filled].copy_from_slice(&self.buf[..self.filled]);
            // Replacing wipes the old allocation (Zeroizing's drop).
            self.buf = grown;
        }
        let end = self.buf.len().min(self.filled + want);
        &mut self.buf[self.filled..end]
    }

    /// `n` bytes were read (POSIX driver) into the room [`StdoutBuf::room`] handed out last (with the same
    /// `scratch`).
    #[cfg_attr(windows, allow(dead_code))]
    pub(crate) fn filled(&mut self, n: usize, scratch: &Scratch) {
        if self.filled == self.limit {
            if !scratch.peek(n).iter().copied().all(is_json_space) {
                self.exceeded = true;
            }
        } else {
            self.filled += n;
        }
    }

    /// Copies `data` in (the Windows driver, whose reads land in buffers of their own).
    #[cfg_attr(not(windows), allow(dead_code))]
    pub(crate) fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.filled < self.limit {
            let mut none = Scratch::default();
            let room = self.room(&mut none);
            let n = room.len().min(data.len());
            room[..n].copy_from_slice(&data[..n]);
            self.filled += n;
            data = &data[n..];
        }
        if !data.iter().copied().all(is_json_space) {
            self.exceeded = true;
        }
    }

    /// The output, wiped when dropped.
    pub(crate) fn take(&mut self) -> Zeroizing<Vec<u8>> {
        let mut out = std::mem::replace(&mut self.buf, Zeroizing::new(Vec::new()));
        // The room past `filled` holds zeros only: truncating leaves nothing to wipe.
        out.truncate(self.filled);
        self.filled = 0;
        out
    }
}

/// A read buffer allocated on first use (most runs never need it), wiped when dropped.
#[derive(Default)]
pub(crate) struct Scratch(Option<Zeroizing<Vec<u8>>>);

impl Scratch {
    /// The buffer ([`CHUNK`] bytes).
    pub(crate) fn get(&mut self) -> &mut [u8] {
        self.0
            .get_or_insert_with(|| Zeroizing::new(vec![0u8; CHUNK]))
    }

    /// Its first `n` bytes (what the last read into it left).
    #[cfg_attr(windows, allow(dead_code))]
    pub(crate) fn peek(&self, n: usize) -> &[u8] {
        self.0.as_deref().map_or(&[][..], |b| &b[..n.min(b.len())])
    }
}

/// The last bytes of the helper's stderr (capture mode).
#[derive(Default)]
pub(crate) struct StderrTail {
    buf: Vec<u8>,
}

impl StderrTail {
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        if self.buf.len() > STDERR_KEEP {
            let cut = self.buf.len() - STDERR_KEEP;
            self.buf.drain(..cut);
        }
    }

    /// The last 4 KiB, lossily decoded, trailing newlines trimmed; `None` when empty.
    pub(crate) fn report(&self) -> Option<String> {
        let start = self.buf.len().saturating_sub(STDERR_REPORT);
        let text = String::from_utf8_lossy(&self.buf[start..]);
        let text = text.trim_end_matches(['\n', '\r']);
        (!text.is_empty()).then(|| text.replace('\0', "\u{FFFD}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_bound_by_reads() {
        let mut b = StdoutBuf::new(4);
        let mut s = Scratch::default();
        let room = b.room(&mut s);
        assert_eq!(room.len(), 4);
        room[..3].copy_from_slice(b"abc");
        b.filled(3, &s);
        let room = b.room(&mut s);
        assert_eq!(room.len(), 1);
        room[0] = b'd';
        b.filled(1, &s);
        // At the limit: the scratch buffer, whitespace only.
        let room = b.room(&mut s);
        assert_eq!(room.len(), CHUNK);
        room[..3].copy_from_slice(b" \r\n");
        b.filled(3, &s);
        assert!(!b.exceeded());
        let room = b.room(&mut s);
        room[..2].copy_from_slice(b"\tx");
        b.filled(2, &s);
        assert!(b.exceeded());
        assert_eq!(&b.take()[..], b"abcd");
    }

    #[test]
    fn stdout_bound_by_copies() {
        let mut b = StdoutBuf::new(4);
        b.push(b"ab");
        b.push(b"cd \r\n\t");
        assert!(!b.exceeded());
        b.push(b" x");
        assert!(b.exceeded());
        assert_eq!(&b.take()[..], b"abcd");
    }

    #[test]
    fn stdout_grows_past_its_first_room() {
        let mut b = StdoutBuf::new(10_000);
        let data: Vec<u8> = (0..9_999u32).map(|i| b'a' + (i % 26) as u8).collect();
        b.push(&data);
        assert!(!b.exceeded());
        assert_eq!(&b.take()[..], &data[..]);
    }

    #[test]
    fn stderr_tail_keeps_the_end() {
        let mut t = StderrTail::default();
        assert_eq!(t.report(), None);
        t.push(b"\n\n");
        assert_eq!(t.report(), None);
        t.push(&vec![b'a'; 70_000]);
        t.push(b"END\0\n");
        let r = t.report().unwrap();
        assert_eq!(r.len(), 4096 - 1 + 2); // U+FFFD is 3 bytes where the NUL was
        assert!(r.ends_with("END\u{FFFD}"));
    }
}
