//! The expansion budget of one extraction: every byte a decompressor produces, and every byte
//! of page content the extractor reads again (a PDF may point a thousand pages at one stream),
//! is charged to it. A compressed file can only expand as far as the budget, whatever its
//! nesting or repetition.

use std::cell::Cell;
use std::io::{self, Read};

/// Bytes an extraction may still expand. Not `Sync`: one extraction runs on one thread.
#[derive(Debug)]
pub struct Budget {
    limit: u64,
    used: Cell<u64>,
    exceeded: Cell<bool>,
}

/// The budget was spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the extraction budget is spent")]
pub struct Exceeded;

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            used: Cell::new(0),
            exceeded: Cell::new(false),
        }
    }

    /// The budget it started with.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes left.
    pub fn remaining(&self) -> u64 {
        self.limit - self.used.get()
    }

    /// Whether a charge was ever refused.
    pub fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    /// Takes `bytes` from the budget; refused (and remembered) when fewer are left.
    pub fn charge(&self, bytes: u64) -> Result<(), Exceeded> {
        if bytes > self.remaining() {
            self.used.set(self.limit);
            self.exceeded.set(true);
            return Err(Exceeded);
        }
        self.used.set(self.used.get() + bytes);
        Ok(())
    }
}

/// A reader that charges the budget for every byte it hands out and fails (with [`Exceeded`]
/// inside the error) once the budget is spent, so a decompressor stops there.
pub struct Charged<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<'b, R: Read> Charged<'b, R> {
    /// Wraps `inner`.
    pub fn new(inner: R, budget: &'b Budget) -> Self {
        Self { inner, budget }
    }
}

impl<R: Read> Read for Charged<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.exceeded() {
            return Err(io::Error::other(Exceeded));
        }
        // Never ask for more than is left plus one byte, so the inner reader does no work the
        // budget would refuse anyway, yet a stream that goes on is noticed.
        let want = buf
            .len()
            .min(usize::try_from(self.budget.remaining().saturating_add(1)).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..want])?;
        self.budget.charge(read as u64).map_err(io::Error::other)?;
        Ok(read)
    }
}

/// Whether an I/O error is the budget running out (rather than corrupt data).
pub fn is_exceeded(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<Exceeded>().is_some())
}

/// Reads all of `reader` through the budget, in steps, so the buffer never grows far past what
/// the budget allowed.
pub fn read_all<R: Read>(reader: R, budget: &Budget) -> io::Result<Vec<u8>> {
    // `read_to_end` doubles its buffer, so a read stopped at a 32 MiB budget had reserved
    // 64 MiB (96 MiB while moving the bytes): the buffer grows by doubling here too, but never
    // past what the budget still allows.
    let mut reader = Charged::new(reader, budget);
    let mut out = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if out.capacity() - out.len() < n {
            let room = usize::try_from(budget.remaining()).unwrap_or(usize::MAX);
            out.reserve_exact(n.max(out.len().min(room)));
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_spent() {
        let budget = Budget::new(10);
        assert!(budget.charge(4).is_ok());
        assert_eq!(budget.remaining(), 6);
        assert_eq!(budget.charge(7), Err(Exceeded));
        assert!(budget.exceeded());
        assert_eq!(budget.remaining(), 0);
    }

    #[test]
    fn a_reader_stops_at_the_budget() {
        let budget = Budget::new(1000);
        let error = read_all(io::repeat(b'x').take(5000), &budget).unwrap_err();
        assert!(is_exceeded(&error));
        let budget = Budget::new(1000);
        assert_eq!(
            read_all(io::repeat(b'x').take(1000), &budget)
                .unwrap()
                .len(),
            1000
        );
        assert!(!budget.exceeded());
    }
}
