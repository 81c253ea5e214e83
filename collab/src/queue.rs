//! Byte-bounded send queues: how much a connection may have waiting to be written.
//!
//! A consumer that cannot take what it is sent is disconnected (closed as a slow consumer,
//! [`crate::close_codes::SLOW_CONSUMER`]) rather than buffered for without bound or fed a gap.
//! The bound is in bytes, not frames: a thousand frames may be a few kilobytes of cursor moves
//! or a thousand copies of a large document. Each frame is charged its length plus
//! [`FRAME_OVERHEAD`], so a flood of tiny frames (pongs, say) costs what its bookkeeping
//! weighs too.
//!
//! The frame being written — the first one queued — is not charged, and a frame of any size
//! joins a queue with nothing charged yet: a joiner's copy of a large document may alone be
//! bigger than the limit (and may find the handshake's small frame still ahead of it), and the
//! live updates that arrive while it drains may then take the limit behind it. So a
//! connection holds at most the frame being written and either one more frame of any size or
//! frames up to the limit; and the frames the hub shares between connections (a broadcast
//! update, the document's whole state) exist once however many queues hold them.

/// What a queued frame costs beyond its bytes (queue slot, shared-buffer handle, header).
pub const FRAME_OVERHEAD: usize = 64;

/// The charge for a frame of `len` bytes.
pub fn frame_cost(len: usize) -> usize {
    len.saturating_add(FRAME_OVERHEAD)
}

/// The byte accounting of one connection's send queue (see the module docs). The queue itself
/// is the caller's: it tells the budget how many frames it holds and which one is first.
#[derive(Debug, Clone)]
pub struct SendBudget {
    limit: usize,
    /// Charges of every queued frame but the first.
    behind: usize,
}

impl SendBudget {
    /// A budget of `limit` bytes behind the frame being written.
    pub fn new(limit: usize) -> Self {
        Self { limit, behind: 0 }
    }

    /// Charges a frame of `len` bytes joining a queue that holds `queued` frames. `false`: it
    /// does not fit, and the consumer is too slow (nothing was charged).
    pub fn admit(&mut self, queued: usize, len: usize) -> bool {
        if queued == 0 {
            return true;
        }
        let cost = frame_cost(len);
        if self.behind > 0 && self.behind.saturating_add(cost) > self.limit {
            return false;
        }
        self.behind = self.behind.saturating_add(cost);
        true
    }

    /// Charges a frame that is queued whatever the limit (the close frame, which replaces what
    /// was waiting).
    pub fn force(&mut self, queued: usize, len: usize) {
        if queued > 0 {
            self.behind = self.behind.saturating_add(frame_cost(len));
        }
    }

    /// The first frame was written or dropped; `next` is the length of the frame now first,
    /// which stops being charged.
    pub fn advance(&mut self, next: Option<usize>) {
        if let Some(len) = next {
            self.behind = self.behind.saturating_sub(frame_cost(len));
        }
    }

    /// The queue was emptied (or cut down to its first frame).
    pub fn reset(&mut self) {
        self.behind = 0;
    }

    /// Bytes charged behind the first frame.
    pub fn charged(&self) -> usize {
        self.behind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_frame_is_free_and_the_rest_fit_the_limit() {
        let mut b = SendBudget::new(1000);
        // Whatever its size, a frame into an empty queue is accepted…
        assert!(b.admit(0, 10 << 20));
        assert_eq!(b.charged(), 0);
        // …and so is the one behind it, which is charged.
        assert!(b.admit(1, 10 << 20));
        assert!(!b.admit(2, 0));
        b.advance(Some(10 << 20));
        assert_eq!(b.charged(), 0);
        assert!(b.admit(1, 400));
        assert!(b.admit(2, 400 - 2 * FRAME_OVERHEAD));
        assert_eq!(b.charged(), 800);
        // 150 more bytes would pass the limit; nothing is charged for the refusal.
        assert!(!b.admit(3, 150));
        assert_eq!(b.charged(), 800);
        // The large first frame is written: the 400-byte one is first now, and free.
        b.advance(Some(400));
        assert_eq!(b.charged(), 400 - FRAME_OVERHEAD);
        assert!(b.admit(2, 150));
        // A close frame is always queued.
        b.force(3, 1 << 20);
        assert!(b.charged() > 1000);
        b.reset();
        assert_eq!(b.charged(), 0);
    }

    #[test]
    fn tiny_frames_are_charged_their_overhead() {
        let mut b = SendBudget::new(64 * FRAME_OVERHEAD);
        let mut queued = 0;
        while b.admit(queued, 0) {
            queued += 1;
        }
        assert_eq!(queued, 65, "the free first frame and 64 empty ones");
        // A frame bigger than the limit fits only with nothing charged.
        let mut b = SendBudget::new(1000);
        assert!(b.admit(1, 10));
        assert!(!b.admit(2, 2000));
    }
}
