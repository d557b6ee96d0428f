//! Hex colours: `#RGB` or `#RRGGBB`, nothing else (the original's `int(s, 16)` also let through
//! signs, spaces and underscores such as `#-12345`; this parser does not).

/// An opaque RGBA colour.
pub type Rgba = [u8; 4];

/// Parses `#RGB` (each digit doubled, `#abc` = `#aabbcc`) or `#RRGGBB`, case-insensitive.
pub fn parse_hex(s: &str) -> Option<Rgba> {
    let digits = s.strip_prefix('#')?.as_bytes();
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let nib = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
    match digits.len() {
        3 => Some([nib(digits[0]) * 17, nib(digits[1]) * 17, nib(digits[2]) * 17, 255]),
        6 => Some([
            nib(digits[0]) * 16 + nib(digits[1]),
            nib(digits[2]) * 16 + nib(digits[3]),
            nib(digits[4]) * 16 + nib(digits[5]),
            255,
        ]),
        _ => None,
    }
}

/// Like [`parse_hex`], for already-validated documents: an invalid colour becomes magenta so a bug
/// is visible instead of a panic in the render loop.
pub(crate) fn rgba(s: &str) -> Rgba {
    parse_hex(s).unwrap_or([255, 0, 255, 255])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_short_and_long_forms() {
        assert_eq!(parse_hex("#abc"), Some([0xaa, 0xbb, 0xcc, 255]));
        assert_eq!(parse_hex("#0B0D26"), Some([0x0b, 0x0d, 0x26, 255]));
    }

    #[test]
    fn rejects_python_int_loopholes() {
        for bad in ["#-12345", "#+1234", "# 12345", "#1_2345", "#12", "#1234", "123456", "#ggg", "#１２３"] {
            assert_eq!(parse_hex(bad), None, "{bad}");
        }
    }
}
