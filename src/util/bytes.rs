//! Byte searches sixteen bytes a step (SSE2 on x86-64, byte by byte
//! elsewhere), for the few dozen bytes around a code or at the end of a
//! path, where a `memchr` call's set-up costs more than the search.

/// The last `/` or `\` of `path`, as `memrchr2` finds it, sixteen bytes a
/// step back from its end (an item's name is a few dozen bytes from it).
#[inline]
pub fn last_slash(path: &[u8]) -> Option<usize> {
    last_of(path, 0, path.len(), slash_bits, |rest| {
        memchr::memrchr2(b'/', b'\\', rest)
    })
}

/// The last byte of `buf[floor..to]` that `bits` marks, sixteen bytes a
/// step back from `to`, and `rest` (a `memrchr`) on what is left past the
/// first [`NEAR`] bytes.
#[inline(always)]
pub fn last_of(
    buf: &[u8],
    floor: usize,
    to: usize,
    bits: fn(&[u8; 16]) -> u32,
    rest: impl Fn(&[u8]) -> Option<usize>,
) -> Option<usize> {
    let to = to.min(buf.len());
    let mut end = to;
    while end >= floor + 16 && to - end < NEAR {
        let block = buf.get(end - 16..end)?.first_chunk::<16>()?;
        let found = bits(block);
        if found != 0 {
            return Some(end - 16 + (31 - found.leading_zeros()) as usize);
        }
        end -= 16;
    }
    if end > floor && end >= 16 && to - end < NEAR {
        // Fewer than sixteen bytes left: the block that ends at `end`,
        // without its bits before `floor`.
        let block = buf.get(end - 16..end)?.first_chunk::<16>()?;
        let found = bits(block) & (u32::MAX << (floor - (end - 16)));
        return (found != 0).then(|| end - 16 + (31 - found.leading_zeros()) as usize);
    }
    rest(buf.get(floor..end)?).map(|p| floor + p)
}

/// How far the searches of short lines and paths look sixteen bytes a
/// step before handing over to `memchr`.
pub const NEAR: usize = 128;

/// The bits of the bytes equal to `b`, of the bytes of `v`.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn eq_bits(v: safe_arch::m128i, b: u8) -> u64 {
    use safe_arch::{cmp_eq_mask_i8_m128i, move_mask_i8_m128i, set_splat_i8_m128i};
    let m = move_mask_i8_m128i(cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b as i8)));
    u64::from(m as u16)
}

/// The `/`s and `\`s of sixteen bytes, one bit each.
#[cfg(target_arch = "x86_64")]
#[inline]
fn slash_bits(bytes: &[u8; 16]) -> u32 {
    let v = safe_arch::load_unaligned_m128i(bytes);
    (eq_bits(v, b'/') | eq_bits(v, b'\\')) as u32
}

/// The `/`s and `\`s of sixteen bytes, one bit each, one byte at a time.
#[cfg(not(target_arch = "x86_64"))]
fn slash_bits(bytes: &[u8; 16]) -> u32 {
    (0..16)
        .filter(|&i| matches!(bytes[i], b'/' | b'\\'))
        .map(|i| 1 << i)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest::proptest! {
        /// The last slash of a path is the one `memrchr2` finds, for paths
        /// of every length up to past the sixteen-byte steps.
        #[test]
        fn last_slashes_as_memrchr2_finds_them(
            path in proptest::collection::vec(
                prop_oneof![8 => Just(b'x'), 1 => Just(b'/'), 1 => Just(b'\\'), 1 => any::<u8>()],
                0..200,
            ),
        ) {
            prop_assert_eq!(last_slash(&path), memchr::memrchr2(b'/', b'\\', &path));
        }
    }
}
