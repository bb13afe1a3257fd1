//! Free text cut to what a record keeps, at a character boundary (the
//! limits are [`MAX_TEXT_LEN`] and [`MAX_FAILURE_REASON_LEN`]).

/// The longest reason, token or other free text a record keeps, in bytes.
/// Longer text is cut at a character boundary.
pub const MAX_TEXT_LEN: usize = 200;

/// The longest reason an [`Event::CallFailed`](crate::Event::CallFailed)
/// record keeps, in bytes: short enough that the whole record (at most 137 bytes) stays shorter
/// than the shortest run of records that crosses the red line from a
/// fresh boot (148 bytes), so that a power cut during its append leaves a
/// torn tail the classifier proves harmless there (`spec/STATES.md`).
pub const MAX_FAILURE_REASON_LEN: usize = 64;

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
