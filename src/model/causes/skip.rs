//! The skip search for sub-cause triggers on short code lines.
//!
//! [`super::Causes::find_all`] must find every trigger on a code line,
//! ignoring ASCII case. Lower-casing a copy of the line and running the
//! SIMD (Teddy) search over it costs a copy and a SIMD set-up per line,
//! more than an ~80-byte line itself; this search reads the line as it is,
//! skipping ahead by a table of the triggers' byte pairs (Wu-Manber), and
//! leaves the comparison of each candidate to the caller. It is used up to
//! [`SKIP_MAX`] bytes and for tables whose shortest trigger has at least
//! [`SKIP_MIN`] bytes; the docs of `causes` say why.

/// The shortest trigger length for which [`Causes::find_all`](super::Causes::find_all) uses the skip
/// search; shorter ones slide the window too little to beat the SIMD search.
pub const SKIP_MIN: usize = 8;

/// The [`Skip::shift`] index of the two bytes `a`, `b`: both as one 16-bit
/// number with each byte's ASCII case bit (0x20) cleared, so that `a` and
/// `A` fold together (as do other bytes that differ only in that bit: the
/// table then only says too little). One load and one `and` a step: a
/// table folding each byte took two more loads in the chain of loads each
/// step waits for.
#[inline(always)]
fn pair(a: u8, b: u8) -> usize {
    usize::from(u16::from_le_bytes([a, b]) & 0xDFDF)
}

/// The longest text [`Causes::find_all`](super::Causes::find_all) searches with the skip loop; a
/// longer one (a long line, or the stretch of a dense run, see
/// [`Causes::find_on_line`](super::Causes::find_on_line)) gets the lowered SIMD search. Each step of the
/// skip loop waits for the loads of the step before (about ten bytes a
/// step), where Teddy covers 32 bytes in a few cycles once set up, so the
/// skip loop is the faster one on short texts only, up to about this length.
pub const SKIP_MAX: usize = 144;

/// A Wu-Manber-style search for where triggers may start: a window of
/// `window` bytes (the shortest trigger's length, at most 255) slides along
/// the text; `shift` says, for the folded last two bytes of the window, how
/// far it may slide without passing a trigger's start. Where it says 0 the
/// window's start is a candidate. Every start of a trigger is a candidate
/// (each trigger's first `window` bytes put 0 under their last two), and
/// candidates come in order, each once.
#[derive(Clone, Debug)]
pub struct Skip {
    /// The window's length: the shortest trigger's (at most 255).
    pub window: usize,
    shift: Box<[u8; 65536]>,
}

impl Skip {
    /// The search over `patterns`; `None` when one is shorter than two bytes.
    pub fn new(patterns: &[Box<[u8]>]) -> Option<Skip> {
        let shortest = patterns.iter().map(|p| p.len()).min()?;
        if shortest < 2 {
            return None;
        }
        let window = shortest.min(usize::from(u8::MAX));
        // A window whose last two bytes are in no trigger's first `window`
        // bytes can slide its length less one: its last byte may start a
        // trigger's first pair.
        let mut shift: Box<[u8; 65536]> = vec![(window - 1) as u8; 65536]
            .into_boxed_slice()
            .try_into()
            .ok()?;
        for p in patterns {
            for j in 1..window {
                let slot = &mut shift[pair(p[j - 1], p[j])];
                *slot = (*slot).min((window - 1 - j) as u8);
            }
        }
        Some(Skip { window, shift })
    }

    /// Calls `candidate` with each start in `hay` where a trigger may
    /// begin, in order. Two windows slide at once, one over the starts in
    /// the first half of `hay`, one over the rest: each step waits for the
    /// loads of the step before, so two chains of steps run in about the
    /// time of one. The second one's candidates wait in `later`.
    #[inline]
    pub fn find(&self, hay: &[u8], later: &mut Vec<usize>, mut candidate: impl FnMut(usize)) {
        let w = self.window;
        let shift = &*self.shift;
        let step = |end: usize| usize::from(shift[pair(hay[end - 1], hay[end])]);
        let mid = hay.len() / 2;
        // The first window's starts stay below `mid`, the second's from it.
        let first_stop = (mid + w - 1).min(hay.len());
        let mut a = w - 1;
        let mut b = mid + w - 1;
        later.clear();
        while a < first_stop && b < hay.len() {
            let (sa, sb) = (step(a), step(b));
            if sa == 0 {
                candidate(a + 1 - w);
                a += 1;
            } else {
                a += sa;
            }
            if sb == 0 {
                later.push(b + 1 - w);
                b += 1;
            } else {
                b += sb;
            }
        }
        while a < first_stop {
            match step(a) {
                0 => {
                    candidate(a + 1 - w);
                    a += 1;
                }
                s => a += s,
            }
        }
        for &start in later.iter() {
            candidate(start);
        }
        while b < hay.len() {
            match step(b) {
                0 => {
                    candidate(b + 1 - w);
                    b += 1;
                }
                s => b += s,
            }
        }
    }
}
