//! Structured journald entries: what every call did, where operators search.
//!
//! Fleets and support engineers search journald by `MESSAGE_ID`, and
//! `journalctl -x` explains an entry from a message catalog, as Fedora
//! CoreOS does for Ignition's own messages. So each outcome of a call
//! (a record written, a record refused, `check`'s verdict, a poisoning, a
//! repaired tail, the kept copy restored or removed, a failure log kept) is
//! also one journald entry with a stable [`MessageId`] and the fields of
//! [`Field`]; `dist/catalog/provision-journal.catalog` explains each ID and
//! `spec/EVIDENCE.md` lists them.
//!
//! The entry is written with journald's native protocol, one datagram to
//! [`SOCKET`], in the encoding `sd_journal_send` uses (`KEY=value\n`, or
//! for a value with a newline `KEY\n`, its length as a little-endian `u64`,
//! the value and `\n`): no library, no flush, no file. Where journald is
//! absent (no socket) sending fails and the caller prints its line as
//! before; nothing is said about it.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

/// journald's native socket.
pub const SOCKET: &str = "/run/systemd/journal/socket";

/// The `SYSLOG_IDENTIFIER` of every entry.
pub const IDENTIFIER: &str = "provision-journal";

/// Defines [`MessageId`] from one table: variant, 128-bit ID, name,
/// syslog priority. The IDs are a contract: they never change.
macro_rules! message_ids {
    ($($(#[doc = $doc:literal])+ $variant:ident = $id:literal, $name:literal, $priority:literal;)+) => {
        /// The kinds of entry, each with its stable `MESSAGE_ID`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum MessageId {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl MessageId {
            /// Every kind, in the order of `spec/EVIDENCE.md`.
            #[allow(dead_code, reason = "the tests hold the catalog and spec/EVIDENCE.md to it")]
            pub const ALL: &[MessageId] = &[$(MessageId::$variant,)+];

            /// The `MESSAGE_ID`: 32 lowercase hex digits.
            pub fn id(self) -> &'static str {
                match self {
                    $(MessageId::$variant => $id,)+
                }
            }

            /// The kind's name, also the `PROVISION_JOURNAL_OUTCOME` field.
            pub fn name(self) -> &'static str {
                match self {
                    $(MessageId::$variant => $name,)+
                }
            }

            /// The syslog priority (`PRIORITY`): 2 critical, 3 error, 4
            /// warning, 5 notice, 6 informational.
            pub fn priority(self) -> u8 {
                match self {
                    $(MessageId::$variant => $priority,)+
                }
            }
        }
    };
}

message_ids! {
    /// A hook's record is durable (`fetched`, `begin`, `end`, `reboot`,
    /// `complete`, `reset`).
    Recorded = "3b6dc4d0e83c4a119732b4e74cde70a4", "recorded", 6;
    /// `fail STAGE` recorded a stage's failure.
    StageFailed = "1d76cfcfd4d445218bf53ace1a584f1e", "stage_failed", 3;
    /// The journal's rules refused a hook or `reset`; nothing was written.
    Refused = "13a5f49e2c0a4aca935159c3f4cbd286", "refused", 3;
    /// The call failed (a corrupt journal, an I/O error, a missing boot
    /// device, ...): its exit status and message.
    CallFailed = "6c0c6b825e154a47a443243adffbbff7", "call_failed", 3;
    /// `check` let provisioning go on (first run, retry, resume, same
    /// boot, forced rerun, not a provisioning boot, live system).
    Proceed = "5ab8dd689a634ad4a222f35d1c6e184a", "proceed", 6;
    /// `check` found the attempt interrupted past the red line (or its
    /// budget spent) and poisoned it: provisioning stops for an operator.
    FatalInterruption = "09804d0f20a143d1adc7e3e15e1e8094", "fatal_interruption", 2;
    /// `check` refused a boot of an attempt that is already poisoned.
    Poisoned = "92280bf30e684729a66d2211965ee409", "poisoned", 3;
    /// `check` refused to provision again after a completed attempt.
    AlreadyComplete = "7a9207cd1a2d4b0b86f8b1f3dc5ae798", "already_complete", 4;
    /// A hook's own record poisoned the attempt (a stage failed past the
    /// red line, or another config after a mutating stage).
    RecordPoisoned = "0fc865af1802401fa7bb65098e76e93f", "record_poisoned", 2;
    /// A writer cut off a torn tail an interrupted append left, and
    /// recorded it.
    TailRepaired = "ebcfc71602eb470caf610df3097cf8ad", "tail_repaired", 4;
    /// `check` restored the kept copy of the config for a retry.
    ConfigRestored = "243fb175a24547a98044c3238dd0f430", "config_restored", 6;
    /// A writer removed the kept copy of the config, and recorded it.
    KeptConfigRemoved = "f8affb417f7941c1b0e5ed0444ce8f04", "kept_config_removed", 5;
    /// The end of a failed boot's log was kept beside the journal.
    FailureLogKept = "9f5df3134fa44984b5973788a01b21fb", "failure_log_kept", 5;
}

/// The fields an entry may carry besides `MESSAGE`, `MESSAGE_ID`,
/// `PRIORITY` and `SYSLOG_IDENTIFIER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `PROVISION_JOURNAL_OUTCOME`: the [`MessageId`]'s name.
    Outcome,
    /// `PROVISION_JOURNAL_COMMAND`: the call, as typed (`begin disks`).
    Command,
    /// `PROVISION_JOURNAL_PATH`: the journal, as the call named it.
    Path,
    /// `PROVISION_JOURNAL_DEVICE`: the boot device mounted for the call.
    Device,
    /// `PROVISION_JOURNAL_EVENT`: the record's kind, as `dump --json`
    /// names it (`stage_began`).
    Event,
    /// `PROVISION_JOURNAL_SEQ`: the record's sequence number.
    Seq,
    /// `PROVISION_JOURNAL_STAGE`: the stage concerned.
    Stage,
    /// `PROVISION_JOURNAL_ATTEMPT`: the attempt's number.
    Attempt,
    /// `PROVISION_JOURNAL_STATE`: the state after the call.
    State,
    /// `PROVISION_JOURNAL_STEP`: `running`, `ended` or `failed`.
    Step,
    /// `PROVISION_JOURNAL_VERDICT`: `check`'s verdict, as `status --json`
    /// names it.
    Verdict,
    /// `PROVISION_JOURNAL_REASON`: a recorded reason in words.
    Reason,
    /// `PROVISION_JOURNAL_CONFIG_SHA256`: a config's digest.
    ConfigSha256,
    /// `PROVISION_JOURNAL_EXIT_STATUS`: the call's exit status.
    ExitStatus,
    /// `PROVISION_JOURNAL_FILE`: a file beside the journal (the kept copy,
    /// a failure log).
    File,
}

impl Field {
    /// The field's name in the entry.
    pub fn name(self) -> &'static str {
        match self {
            Field::Outcome => "PROVISION_JOURNAL_OUTCOME",
            Field::Command => "PROVISION_JOURNAL_COMMAND",
            Field::Path => "PROVISION_JOURNAL_PATH",
            Field::Device => "PROVISION_JOURNAL_DEVICE",
            Field::Event => "PROVISION_JOURNAL_EVENT",
            Field::Seq => "PROVISION_JOURNAL_SEQ",
            Field::Stage => "PROVISION_JOURNAL_STAGE",
            Field::Attempt => "PROVISION_JOURNAL_ATTEMPT",
            Field::State => "PROVISION_JOURNAL_STATE",
            Field::Step => "PROVISION_JOURNAL_STEP",
            Field::Verdict => "PROVISION_JOURNAL_VERDICT",
            Field::Reason => "PROVISION_JOURNAL_REASON",
            Field::ConfigSha256 => "PROVISION_JOURNAL_CONFIG_SHA256",
            Field::ExitStatus => "PROVISION_JOURNAL_EXIT_STATUS",
            Field::File => "PROVISION_JOURNAL_FILE",
        }
    }
}

/// One journald entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its kind.
    pub id: MessageId,
    /// `MESSAGE`: the sentence the call prints.
    pub message: String,
    /// The other fields, in order.
    pub fields: Vec<(Field, String)>,
}

impl Entry {
    /// An entry of kind `id` saying `message`, escaped as the reports
    /// escape what a terminal would act on (`journalctl` prints it).
    pub fn new(id: MessageId, message: impl Into<String>) -> Self {
        Entry {
            id,
            message: provision_journal::report::defang(&message.into()).into_owned(),
            fields: vec![(Field::Outcome, id.name().to_owned())],
        }
    }

    /// Adds a field.
    #[must_use]
    pub fn with(mut self, field: Field, value: impl ToString) -> Self {
        self.fields.push((field, value.to_string()));
        self
    }

    /// Adds a field if there is a value.
    #[must_use]
    pub fn with_some(self, field: Field, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.with(field, value),
            None => self,
        }
    }

    /// The datagram of journald's native protocol.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.message.len());
        put(&mut out, "MESSAGE", &self.message);
        put(&mut out, "MESSAGE_ID", self.id.id());
        put(&mut out, "PRIORITY", &self.id.priority().to_string());
        put(&mut out, "SYSLOG_IDENTIFIER", IDENTIFIER);
        for (field, value) in &self.fields {
            put(&mut out, field.name(), value);
        }
        out
    }

    /// Sends the entry to journald's native socket at `socket`.
    ///
    /// # Errors
    ///
    /// The socket's error: no journald listens there (the socket is
    /// missing or refuses), or the entry is too large for a datagram.
    pub fn send(&self, socket: &Path) -> io::Result<()> {
        let datagram = self.encode();
        let sent = UnixDatagram::unbound()?.send_to(&datagram, socket)?;
        if sent != datagram.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "journald took part of the entry",
            ));
        }
        Ok(())
    }
}

/// Appends one field in the native encoding: `KEY=value\n`, or, when the
/// value holds a newline, `KEY\n`, the value's length as a little-endian
/// `u64`, the value, `\n`.
fn put(out: &mut Vec<u8>, key: &str, value: &str) {
    out.extend_from_slice(key.as_bytes());
    if value.contains('\n') {
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        out.push(b'=');
    }
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}
