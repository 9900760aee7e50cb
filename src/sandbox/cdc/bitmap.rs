//! The field bitmaps of `changedFields`, `nulledFields` and `diffFields`.
//!
//! Over the Pub/Sub API these header fields hold bitmaps, not names
//! (<https://developer.salesforce.com/docs/platform/pub-sub-api/guide/event-deserialization-considerations.html>):
//! the first element, `0x…`, has bit `i` set when the event's Avro field `i` is in the set
//! (field 0 is the header itself); each further element, `<p>-0x…`, does the same over the
//! components of the compound field at position `p`. The hex digits are the bitmap as a
//! big-endian number in whole bytes, upper case: fields 5, 6, 7 and 10 are `0x04E0`.

/// The `0x…` text of a bitmap with these bits set, or `None` for no bits.
pub fn hex(bits: impl IntoIterator<Item = usize>) -> Option<String> {
    let mut bytes: Vec<u8> = Vec::new();
    for bit in bits {
        let byte = bit / 8;
        if bytes.len() <= byte {
            bytes.resize(byte + 1, 0);
        }
        bytes[byte] |= 1 << (bit % 8);
    }
    if bytes.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(2 + 2 * bytes.len());
    text.push_str("0x");
    for b in bytes.iter().rev() {
        text.push_str(&format!("{b:02X}"));
    }
    Some(text)
}

/// The bit positions a `0x…` bitmap sets (for tests and tools): the inverse of [`hex`].
pub fn positions(hex_text: &str) -> Option<Vec<usize>> {
    let digits = hex_text.strip_prefix("0x")?;
    let mut out = Vec::new();
    for (i, c) in digits.chars().rev().enumerate() {
        let nibble = c.to_digit(16)? as usize;
        out.extend((0..4).filter(|b| nibble & (1 << b) != 0).map(|b| i * 4 + b));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_round_trips() {
        // Salesforce's example bitmap: 0x650004E0.
        let bits = positions("0x650004E0").unwrap();
        assert_eq!(bits, vec![5, 6, 7, 10, 24, 26, 29, 30]);
        assert_eq!(hex(bits).as_deref(), Some("0x650004E0"));
    }

    #[test]
    fn bitmaps_are_whole_bytes() {
        assert_eq!(hex([1]).as_deref(), Some("0x02"));
        assert_eq!(hex([1, 2]).as_deref(), Some("0x06"));
        assert_eq!(hex([4]).as_deref(), Some("0x10"));
        assert_eq!(hex([8]).as_deref(), Some("0x0100"));
        assert_eq!(hex([]), None);
    }
}
