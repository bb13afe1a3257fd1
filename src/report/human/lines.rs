//! The report's lines: defanged, and word-wrapped to [`WIDTH`] columns.

use std::io::{self, Write};

use super::super::escape::defang;

/// The width the report fits in.
pub const WIDTH: usize = 80;

/// Writes lines, each defanged, none wider than [`WIDTH`] when words allow.
pub(super) struct Lines<'w> {
    pub(super) out: &'w mut dyn Write,
}

impl Lines<'_> {
    pub(super) fn line(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{}", defang(text))
    }

    /// Writes `text` word-wrapped, the first line after `first`, the others
    /// indented to the same width.
    pub(super) fn wrapped(&mut self, first: &str, text: &str) -> io::Result<()> {
        let indent = " ".repeat(first.chars().count());
        let room = WIDTH.saturating_sub(indent.len()).max(20);
        let mut line = String::new();
        let mut prefix = first.to_owned();
        let flush = |line: &mut String, prefix: &mut String, lines: &mut Self| {
            let text = format!("{prefix}{line}");
            *prefix = indent.clone();
            line.clear();
            lines.line(text.trim_end())
        };
        for word in text.split(' ').filter(|word| !word.is_empty()) {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let used = line.chars().count();
                let need = word.len() + usize::from(used > 0);
                if used + need <= room {
                    if used > 0 {
                        line.push(' ');
                    }
                    line.extend(word.iter());
                    break;
                }
                if used > 0 {
                    flush(&mut line, &mut prefix, self)?;
                    continue;
                }
                let rest = word.split_off(split_point(&word, room));
                line.extend(word.iter());
                flush(&mut line, &mut prefix, self)?;
                word = rest;
            }
        }
        if !line.is_empty() || prefix == first {
            flush(&mut line, &mut prefix, self)?;
        }
        Ok(())
    }
}

/// Writes `text` defanged and word-wrapped to 80 columns, the first
/// line after `first`, the others indented to its width (as `dump` lays out
/// its closing sections; `status` uses it too).
///
/// # Errors
///
/// The writer's error.
pub fn write_wrapped(out: &mut dyn Write, first: &str, text: &str) -> io::Result<()> {
    Lines { out }.wrapped(first, text)
}

/// Where to cut a word too long for a line of `room` characters: at most
/// `room`, and never inside an escape `quoted` wrote (`\u{1b}`, `\n`,
/// `\"`), so each half still reads as what it is.
fn split_point(word: &[char], room: usize) -> usize {
    let mut at = 0;
    let mut last_fit = 0;
    while at < word.len() && at <= room {
        last_fit = at;
        at += match word[at..] {
            ['\\', 'u', '{', ..] => word[at..]
                .iter()
                .take(12)
                .position(|&c| c == '}')
                .map_or(1, |close| close + 1),
            ['\\', _, ..] => 2,
            _ => 1,
        };
    }
    if last_fit == 0 { room } else { last_fit }
}
