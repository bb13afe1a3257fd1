//! Making journal contents safe to print.
//!
//! Everything in a journal is untrusted: a damaged or hostile file can hold
//! any bytes in a reason or token. Printed raw, an escape sequence could
//! retitle the terminal, hide lines or fake output. So every string that
//! comes from the file goes through [`quoted`] (for people) or the
//! [`TerminalSafe`] JSON formatter (for scripts), and raw bytes are only
//! ever shown as hex.

use std::io;

/// Whether `c` must not reach a terminal as is: C0 and C1 controls, DEL, and
/// the invisible format characters that reorder or hide text (bidirectional
/// overrides and isolates, zero-width characters, line and paragraph
/// separators, the byte-order mark).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// `text` in double quotes, with quotes, backslashes and every unsafe
/// character escaped (`\n`, `\t`, `\r`, or `\u{..}`).
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How many bytes an excerpt shows.
pub const EXCERPT_LEN: usize = 16;

/// The first [`EXCERPT_LEN`] bytes as spaced hex, with `..` when more
/// follow; empty when there are none (the damage is at the end of the
/// file), which the human report says in words.
pub fn hex_excerpt(bytes: &[u8], total: u64) -> String {
    let shown = &bytes[..bytes.len().min(EXCERPT_LEN)];
    let mut out: Vec<String> = shown.iter().map(|b| format!("{b:02x}")).collect();
    if total > shown.len() as u64 {
        out.push("..".to_owned());
    }
    out.join(" ")
}

/// The length to give [`hex_excerpt`] for an excerpt of a region of unknown
/// length: a short excerpt ended at the end of the file, a full one may have
/// more after it.
pub fn excerpt_total(excerpt: &[u8]) -> u64 {
    if excerpt.len() < EXCERPT_LEN {
        excerpt.len() as u64
    } else {
        u64::MAX
    }
}

/// A compact JSON formatter that also escapes DEL, C1 controls and the
/// invisible format characters of [`is_unsafe`] (which JSON allows raw), so
/// `dump --json` piped to a terminal is as safe as the human report. The
/// values are unchanged: any JSON parser reads back the same strings.
#[derive(Clone, Copy, Debug, Default)]
pub struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Writes `value` as compact, terminal-safe JSON.
pub fn write_json<W: io::Write + ?Sized, T: serde::Serialize + ?Sized>(
    out: &mut W,
    value: &T,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, TerminalSafe);
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// `text` with every unsafe character replaced by its `\u{..}` escape: the
/// last guard on each line the human report writes.
pub fn defang(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if is_unsafe(c) {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escapes_every_control_and_format_character() {
        let hostile = "a\u{1b}]0;owned\u{7}\u{9b}2J\u{202e}b\"\\\n";
        let shown = quoted(hostile);
        assert_eq!(shown, r#""a\u{1b}]0;owned\u{7}\u{9b}2J\u{202e}b\"\\\n""#);
        assert!(!shown.chars().any(is_unsafe));
        assert_eq!(quoted("exit status 1 — é"), "\"exit status 1 — é\"");
    }

    #[test]
    fn terminal_safe_json_round_trips_the_same_string() {
        let hostile = "x\u{1b}[31m\u{7f}\u{85}\u{2066}y";
        let mut out = Vec::new();
        write_json(&mut out, &hostile).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(is_unsafe), "{text}");
        assert_eq!(serde_json::from_str::<String>(&text).unwrap(), hostile);
    }

    #[test]
    fn excerpt_marks_more_bytes() {
        assert_eq!(hex_excerpt(&[0xde, 0xad], 2), "de ad");
        assert_eq!(hex_excerpt(&[0; 20], 20).split(' ').count(), 17);
        assert_eq!(hex_excerpt(&[], 0), "");
    }
}
