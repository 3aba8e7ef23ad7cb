//! Gzip bombs: tiny gzip bodies that inflate to many mebibytes of zeros.
//!
//! Compressing a whole GiB, even at the fast level, takes seconds in release
//! and far longer in the debug builds tests use. Instead one mebibyte of
//! zeros is compressed twice with a sync flush after each copy, and the
//! second copy's output is repeated: a sync flush byte-aligns the stream and
//! ends the block, and the data that copy may refer back to is zeros no
//! matter how often it is repeated, so repeating its bytes is a valid
//! deflate stream. The gzip trailer's CRC-32 is combined arithmetically
//! rather than computed over the inflated bytes.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use flate2::Compression;
use flate2::Crc;
use flate2::write::DeflateEncoder;

/// One mebibyte: the unit of `/gzip-bomb?mb=N`.
pub(crate) const MIB: usize = 1 << 20;

/// The largest bomb served: 16 GiB inflated, about 16 MB on the wire.
pub(crate) const MAX_MIB: u64 = 16 * 1024;

/// The gzip encoding of `mib` MiB of zeros, built once per size per process.
pub(crate) fn gzip_bomb(mib: u64) -> Bytes {
    static CACHE: OnceLock<Mutex<HashMap<u64, Bytes>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // Holding the lock while building means two concurrent first requests
    // for the same size build it once; building takes milliseconds.
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(mib).or_insert_with(|| build(mib)).clone()
}

/// Raw deflate pieces: `first` starts the stream, `repeat` can follow any
/// number of times, `tail` ends it.
struct Pieces {
    first: Vec<u8>,
    repeat: Vec<u8>,
    tail: Vec<u8>,
}

fn pieces() -> Pieces {
    let block = vec![0u8; MIB];
    // Only two MiB are ever compressed, so the best level costs little and
    // gets close to deflate's maximum ratio (the fast level manages ~200:1).
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    // Writing to and flushing a Vec cannot fail.
    encoder.write_all(&block).expect("writing to a Vec");
    encoder.flush().expect("flushing to a Vec");
    let first_len = encoder.get_ref().len();
    encoder.write_all(&block).expect("writing to a Vec");
    encoder.flush().expect("flushing to a Vec");
    let repeat_end = encoder.get_ref().len();
    let out = encoder.finish().expect("finishing into a Vec");
    Pieces {
        first: out[..first_len].to_vec(),
        repeat: out[first_len..repeat_end].to_vec(),
        tail: out[repeat_end..].to_vec(),
    }
}

fn build(mib: u64) -> Bytes {
    let Pieces {
        first,
        repeat,
        tail,
    } = pieces();
    let repeats = usize::try_from(mib.saturating_sub(1)).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(10 + first.len() + repeat.len() * repeats + tail.len() + 8);
    // Fixed gzip header: magic, deflate, no flags, no mtime, no extra
    // flags, unknown OS.
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    if mib > 0 {
        out.extend_from_slice(&first);
        for _ in 0..repeats {
            out.extend_from_slice(&repeat);
        }
    }
    out.extend_from_slice(&tail);

    let mut block_crc = Crc::new();
    block_crc.update(&vec![0u8; MIB]);
    let mut crc = Crc::new();
    for _ in 0..mib {
        crc.combine(&block_crc);
    }
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the inflated length modulo 2^32, as RFC 1952 specifies.
    let isize = (mib.wrapping_mul(MIB as u64) & u64::from(u32::MAX)) as u32;
    out.extend_from_slice(&isize.to_le_bytes());
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    fn inflated_len(gz: &[u8]) -> u64 {
        let mut decoder = GzDecoder::new(gz);
        let mut total = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // GzDecoder checks the CRC and ISIZE at the end, so a wrong
            // trailer surfaces here as an error.
            let n = decoder.read(&mut buf).unwrap();
            if n == 0 {
                return total;
            }
            assert!(buf[..n].iter().all(|b| *b == 0));
            total += n as u64;
        }
    }

    #[test]
    fn bomb_inflates_to_the_requested_size() {
        for mib in [0, 1, 2, 5] {
            let gz = gzip_bomb(mib);
            assert_eq!(inflated_len(&gz), mib * MIB as u64, "mib={mib}");
        }
    }

    #[test]
    fn bomb_is_small_and_cached() {
        let gz = gzip_bomb(64);
        // Deflate tops out near 1032:1; demand most of that.
        assert!(
            gz.len() * 800 < 64 * MIB,
            "64 MiB bomb is {} bytes",
            gz.len()
        );
        // The same allocation comes back: built once.
        assert_eq!(gzip_bomb(64).as_ptr(), gz.as_ptr());
    }
}
