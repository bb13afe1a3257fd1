//! The failure log's bytes (`spec/FORMAT.md`, "The failure log"): one
//! header line that binds it to its record and carries the log's length
//! and CRC-32, then the end of the log.

use crate::model::event::BootId;
use crate::model::stage::Stage;

use super::MAX_HEADER_LEN;
use super::binding::Binding;

/// A failure log: the record it is bound to, and the end of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "what `keep` writes, built by its caller from the record the log is bound to and the end of the log"
)]
pub struct FailureLog {
    /// The record.
    pub binding: Binding,
    /// How many bytes the log had in all.
    pub total: u64,
    /// Its last bytes, from a line start where there is one.
    pub text: Vec<u8>,
}

const MAGIC: &str = "provision-journal failure log 1";

impl FailureLog {
    /// The file's bytes: one header line, then the log.
    pub fn encode(&self) -> Vec<u8> {
        let binding = &self.binding;
        let header = format!(
            "{MAGIC} seq={} attempt={} boot={} event={} stage={} total={} kept={} crc32={:08x}\n",
            binding.seq,
            binding.attempt,
            binding.boot.to_hex(),
            binding.event,
            binding.stage.map_or("-", Stage::name),
            self.total,
            self.text.len(),
            crc32fast::hash(&self.text)
        );
        let mut bytes = header.into_bytes();
        bytes.extend_from_slice(&self.text);
        bytes
    }

    /// Reads a file's bytes back.
    ///
    /// # Errors
    ///
    /// What is wrong, in words: not a failure log, a header that does not
    /// parse, or a log that is not whole (its length or CRC-32 differ).
    pub fn decode(bytes: &[u8]) -> Result<FailureLog, String> {
        let end = bytes
            .iter()
            .take(MAX_HEADER_LEN)
            .position(|&b| b == b'\n')
            .ok_or("it has no header line")?;
        let header = std::str::from_utf8(&bytes[..end]).map_err(|_| "its header is not text")?;
        let fields = header
            .strip_prefix(MAGIC)
            .ok_or("it is not a failure log of this version")?;
        let mut values = std::collections::HashMap::new();
        for field in fields.split_whitespace() {
            let (key, value) = field.split_once('=').ok_or("its header is malformed")?;
            values.insert(key, value);
        }
        let get = |key: &str| {
            values
                .get(key)
                .copied()
                .ok_or_else(|| format!("its header has no {key}"))
        };
        let number = |key: &str| -> Result<u64, String> {
            get(key)?
                .parse()
                .map_err(|_| format!("its header's {key} is not a number"))
        };
        let text = bytes[end + 1..].to_vec();
        if number("kept")? != text.len() as u64 {
            return Err(format!(
                "it holds {} bytes of log where its header says {}: it is not whole",
                text.len(),
                number("kept")?
            ));
        }
        let crc = u32::from_str_radix(get("crc32")?, 16).map_err(|_| "its CRC-32 is malformed")?;
        if crc != crc32fast::hash(&text) {
            return Err("its CRC-32 does not match: it is not whole".to_owned());
        }
        let stage = match get("stage")? {
            "-" => None,
            name => Some(name.parse().map_err(|_| "its stage is unknown")?),
        };
        Ok(FailureLog {
            binding: Binding {
                seq: number("seq")?,
                attempt: u32::try_from(number("attempt")?)
                    .map_err(|_| "its attempt is too large")?,
                boot: BootId::from_hex(get("boot")?).ok_or("its boot ID is malformed")?,
                event: get("event")?.to_owned(),
                stage,
            },
            total: number("total")?,
            text,
        })
    }
}
