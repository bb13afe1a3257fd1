//! Free text cut to what a record keeps, at a character boundary (the
//! limits are [`MAX_TEXT_LEN`] and [`MAX_FAILURE_REASON_LEN`]).

use super::event::{MAX_FAILURE_REASON_LEN, MAX_TEXT_LEN};

/// Cuts `text` to at most [`MAX_TEXT_LEN`] bytes, at a character boundary.
pub fn clip_text(text: &str) -> String {
    clip_to(text, MAX_TEXT_LEN)
}

/// Cuts `text` to at most [`MAX_FAILURE_REASON_LEN`] bytes, at a character
/// boundary.
pub fn clip_failure_reason(text: &str) -> String {
    clip_to(text, MAX_FAILURE_REASON_LEN)
}

fn clip_to(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_text_cuts_at_a_char_boundary() {
        let long = "é".repeat(150);
        let clipped = clip_text(&long);
        assert!(clipped.len() <= MAX_TEXT_LEN);
        assert_eq!(clipped.len(), MAX_TEXT_LEN);
        assert_eq!(clip_text("short"), "short");
    }
}
