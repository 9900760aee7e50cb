//! Decimal numbers as a number field stores them: exact text, rounded to the
//! field's scale, checked against its precision.
//!
//! Salesforce's number, currency and percent fields are decimals with a
//! precision (digits in all) and a scale (digits after the point), at most 18
//! digits (<https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-opportunity.html>),
//! so the org keeps them as decimal text, never as doubles.

/// A decimal: sign, significant digits (no leading zeros) and the power of ten
/// of the last digit. Zero has no digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    /// Parses JSON number text (`12.5`, `-3`, `1.0E7`, `2.5e-3`), or the same
    /// as a JSON string. `None` for anything else.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
            None => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !all_digits || exponent.abs() > 10_000 {
            return None;
        }
        let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let places = i64::try_from(frac.len()).ok()?;
        Some(Decimal::new(negative, digits, exponent - places))
    }

    fn new(negative: bool, mut digits: Vec<u8>, mut exponent: i64) -> Decimal {
        let lead = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..lead);
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        let negative = negative && !digits.is_empty();
        if digits.is_empty() {
            exponent = 0;
        }
        Decimal {
            negative,
            digits,
            exponent,
        }
    }

    /// Rounded to `scale` digits after the point, ties away from zero (Java's
    /// `RoundingMode.HALF_UP`).
    pub fn round(&self, scale: u32) -> Decimal {
        let keep_from = -i64::from(scale);
        if self.exponent >= keep_from {
            return self.clone();
        }
        // Digits at powers below `keep_from` go; the first of them decides.
        let drop = usize::try_from(keep_from - self.exponent).unwrap_or(usize::MAX);
        if drop > self.digits.len() {
            return Decimal::new(false, Vec::new(), 0);
        }
        let mut digits = self.digits[..self.digits.len() - drop].to_vec();
        let round_up = self.digits[self.digits.len() - drop] >= 5;
        if round_up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
        Decimal::new(self.negative, digits, keep_from)
    }

    /// Digits before the point (0 for `0.5` and for zero).
    pub fn integer_digits(&self) -> u32 {
        let n = i64::try_from(self.digits.len()).unwrap_or(i64::MAX) + self.exponent;
        u32::try_from(n.max(0)).unwrap_or(u32::MAX)
    }

    /// Whether it has digits after the point.
    pub fn has_fraction(&self) -> bool {
        self.exponent < 0
    }

    /// Plain decimal text, as the org returns it: no exponent, no trailing
    /// zeros after the point (`12.5`, `10000000`, `-0.25`).
    pub fn to_plain(&self) -> String {
        if self.digits.is_empty() {
            return "0".to_owned();
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let mut out = String::from(if self.negative { "-" } else { "" });
        if self.exponent >= 0 {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', self.exponent as usize));
        } else {
            let places = usize::try_from(-self.exponent).unwrap_or(usize::MAX);
            if places >= digits.len() {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', places - digits.len()));
                out.push_str(&digits);
            } else {
                let (int, frac) = digits.split_at(digits.len() - places);
                out.push_str(int);
                out.push('.');
                out.push_str(frac);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str, scale: u32) -> String {
        Decimal::parse(text).unwrap().round(scale).to_plain()
    }

    #[test]
    fn decimals_keep_every_digit_a_field_holds() {
        assert_eq!(plain("1234567890123456.78", 2), "1234567890123456.78");
        assert_eq!(plain("123456789012345.67", 2), "123456789012345.67");
        assert_eq!(plain("12.50", 2), "12.5");
        assert_eq!(plain("1.0E7", 0), "10000000");
        assert_eq!(plain("2.5e-3", 4), "0.0025");
        assert_eq!(plain("-0.0", 2), "0");
        assert_eq!(plain("007", 0), "7");
    }

    #[test]
    fn extra_places_round_half_away_from_zero() {
        assert_eq!(plain("12.345", 2), "12.35");
        assert_eq!(plain("-12.345", 2), "-12.35");
        assert_eq!(plain("12.344", 2), "12.34");
        assert_eq!(plain("99.995", 2), "100");
        assert_eq!(plain("0.4", 0), "0");
        assert_eq!(plain("0.5", 0), "1");
        assert_eq!(plain("1.5e-308", 2), "0");
    }

    #[test]
    fn integer_digits_count_what_precision_bounds() {
        let d = |t: &str| Decimal::parse(t).unwrap();
        assert_eq!(d("1234567890123456.78").integer_digits(), 16);
        assert_eq!(d("0.5").integer_digits(), 0);
        assert_eq!(d("1.0E17").integer_digits(), 18);
        assert!(d("1.5").has_fraction());
        assert!(!d("1.50E1").has_fraction());
        for bad in ["", "-", ".", "1e", "abc", "1.2.3", "0x10", "1e99999"] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
    }
}
