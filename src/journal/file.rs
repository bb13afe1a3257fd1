//! The journal file: replay on open, one durable append per transition.
//!
//! Opening replays every record through the transition function, so the
//! journal's [`Progress`] is exactly what its records say. Appending
//! validates the record first (a rejected record writes nothing), writes it
//! in one `write`, and returns only after one `fdatasync`. A torn tail left
//! by a crash is cut off by the next append, which records that it did.

use camino::Utf8Path;

use crate::format::codec;
use crate::format::error::{JournalError, StorageOp};
use crate::format::frame::{HEADER_LEN, Header, encode_frame, encode_header, parse_header};
use crate::format::scan::{End, Scanner, TornTail};
use crate::model::event::{Event, Record, Stamp};
use crate::model::state::Progress;
use crate::model::transition::transition;
use crate::storage::{Access, Storage};

/// An open journal and the progress its records replay to.
pub struct Journal<S: Storage> {
    storage: S,
    access: Access,
    header: Option<Header>,
    progress: Progress,
    end: u64,
    next_seq: u64,
    prev_crc: u32,
    torn: Option<TornTail>,
    unusable: bool,
}

impl<S: Storage> Journal<S> {
    /// Opens the journal for appending (taking its lock), or prepares to
    /// create it with the first append if there is none.
    ///
    /// # Errors
    ///
    /// The storage's failure to open or read the file (a lock another writer
    /// holds, a missing directory), [`JournalError::Corrupt`] or
    /// [`JournalError::UnsupportedVersion`] for a file the rules refuse.
    pub fn open(storage: S) -> Result<Self, JournalError> {
        Self::load(storage, Access::Write)
    }

    /// Opens the journal read-only, without a lock. Appending fails.
    ///
    /// # Errors
    ///
    /// As [`Journal::open`], but no lock is taken.
    pub fn read(storage: S) -> Result<Self, JournalError> {
        Self::load(storage, Access::Read)
    }

    /// Creates the journal from `saved`, the whole content of a journal
    /// whose file system is gone, and opens it for appending: the file is
    /// written under a temporary name, synced, renamed into place and its
    /// directory synced ([`Storage::create`]), so a crash leaves either no
    /// journal or all of `saved`. `saved` is replayed first and refused as
    /// the journal itself would be (corrupt, of a newer version); a torn
    /// tail in it is carried too, for the next append to cut off and record.
    ///
    /// # Errors
    ///
    /// [`JournalError::Corrupt`] or [`JournalError::UnsupportedVersion`] for
    /// `saved` (named by `storage`'s path), the storage's failure to create
    /// the file (an existing journal is never replaced:
    /// [`StorageError::AlreadyExists`](crate::storage::StorageError::AlreadyExists)),
    /// or to read it back.
    pub fn carry(mut storage: S, saved: &[u8]) -> Result<Self, JournalError> {
        let mut check = crate::storage::MemStorage::with_bytes(saved).named(storage.path());
        replay(&mut check, true)?;
        storage
            .create(saved)
            .map_err(|source| JournalError::storage(&storage, StorageOp::Create, source))?;
        let replayed = replay(&mut storage, true)?;
        Ok(Self::assemble(storage, Access::Write, replayed))
    }

    fn load(mut storage: S, access: Access) -> Result<Self, JournalError> {
        let exists = storage
            .open(access)
            .map_err(|source| JournalError::storage(&storage, StorageOp::Open, source))?;
        let replayed = replay(&mut storage, exists)?;
        Ok(Self::assemble(storage, access, replayed))
    }

    fn assemble(storage: S, access: Access, replayed: Replayed) -> Self {
        Journal {
            storage,
            access,
            header: replayed.header,
            progress: replayed.progress,
            end: replayed.end,
            next_seq: replayed.next_seq,
            prev_crc: replayed.prev_crc,
            torn: replayed.torn,
            unusable: false,
        }
    }

    /// The journal's path.
    pub fn path(&self) -> &Utf8Path {
        self.storage.path()
    }

    /// What the records replay to.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Whether the journal file exists.
    pub fn exists(&self) -> bool {
        self.header.is_some()
    }

    /// The file header, if the journal exists.
    pub fn header(&self) -> Option<Header> {
        self.header
    }

    /// The torn tail found on open and not yet cut off.
    pub fn torn_tail(&self) -> Option<TornTail> {
        self.torn
    }

    /// How many whole records the journal holds.
    pub fn record_count(&self) -> u64 {
        self.next_seq
    }

    /// The length of the journal's whole records (with the header).
    pub fn len(&self) -> u64 {
        self.end
    }

    /// Whether the journal holds no record.
    pub fn is_empty(&self) -> bool {
        self.next_seq == 0
    }

    /// The storage, as it is (tests crash a copy of it).
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.storage
    }

    /// Whether `event`, stamped `stamp`, may be appended now (after the
    /// repair of a torn tail, if one is to be cut off): the progress it
    /// would lead to, or the transition function's refusal. Writes nothing;
    /// a writer asks before it changes anything the record will name.
    ///
    /// # Errors
    ///
    /// [`JournalError::Rejected`] with the rule the record breaks.
    pub fn validate(&self, event: &Event, stamp: Stamp) -> Result<Progress, JournalError> {
        let mut progress = self.progress.clone();
        let mut events = Vec::with_capacity(2);
        if let Some(torn) = self.torn {
            events.push(Event::TailRepaired {
                offset: torn.offset,
                dropped: torn.len,
            });
        }
        events.push(event.clone());
        for (seq, event) in (self.next_seq..).zip(events) {
            let record = Record { seq, stamp, event };
            progress = transition(&progress, &record).map_err(|source| JournalError::Rejected {
                path: self.path().to_owned(),
                source,
            })?;
        }
        Ok(progress)
    }

    /// Validates `event`, appends it durably and returns the new progress.
    ///
    /// Creates the journal first if there is none (header, `fdatasync`,
    /// rename, directory `fsync`). If the journal exists but holds no record
    /// (its creation failed or was killed after the rename), `fsync`s its
    /// directory first, so the record cannot vanish with the name. Cuts off
    /// a torn tail first and records that in a `TailRepaired` record, made
    /// durable on its own before `event` is written: one write and one
    /// `fdatasync` per record, so a crash can only ever tear a single
    /// record. On any failure nothing is
    /// claimed: the error says what happened and this handle refuses further
    /// appends, so a failed sync is never retried.
    ///
    /// # Errors
    ///
    /// [`JournalError::Rejected`] when the transition function refuses the
    /// record (nothing is written), [`JournalError::Encode`] when it is too
    /// large, and the storage's failure to create, write or sync
    /// ([`JournalError::WriteFailed`], [`JournalError::SyncFailed`]) after which
    /// this handle is unusable.
    pub fn append(&mut self, event: Event, stamp: Stamp) -> Result<&Progress, JournalError> {
        if self.access == Access::Read {
            return Err(JournalError::ReadOnly {
                path: self.path().to_owned(),
            });
        }
        if self.unusable {
            return Err(JournalError::Unusable {
                path: self.path().to_owned(),
            });
        }
        let new_header = match self.header {
            Some(_) => None,
            None => {
                let bytes = encode_header(stamp.wall_ms);
                let header = parse_header(&bytes).expect("a fresh header parses");
                Some((bytes, header))
            }
        };
        let (mut seq, mut prev) = match &new_header {
            None => (self.next_seq, self.prev_crc),
            Some((_, header)) => (0, header.crc),
        };
        let mut events = Vec::with_capacity(2);
        if let Some(torn) = self.torn {
            events.push(Event::TailRepaired {
                offset: torn.offset,
                dropped: torn.len,
            });
        }
        events.push(event);
        let mut progress = self.progress.clone();
        let mut frames = Vec::with_capacity(2);
        for event in events {
            let record = Record { seq, stamp, event };
            progress = transition(&progress, &record).map_err(|source| JournalError::Rejected {
                path: self.path().to_owned(),
                source,
            })?;
            let payload = codec::encode(&record.stamp, &record.event).map_err(|source| {
                JournalError::Encode {
                    path: self.path().to_owned(),
                    source,
                }
            })?;
            let frame = encode_frame(seq, prev, &payload);
            prev = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes"));
            seq += 1;
            frames.push(frame);
        }

        let creating = new_header.is_some();
        if let Some((bytes, header)) = new_header {
            self.unusable = true;
            self.storage.create(&bytes).map_err(|source| {
                JournalError::storage(&self.storage, StorageOp::Create, source)
            })?;
            self.unusable = false;
            self.header = Some(header);
            self.end = HEADER_LEN as u64;
        }
        self.unusable = true;
        if !creating && self.next_seq == 0 {
            // A journal without records may be left by a creation that
            // failed or was killed between its rename and the directory
            // fsync: its name may not be durable yet, and no record may
            // claim to be durable in a file that can vanish.
            self.storage.sync_dir().map_err(|source| {
                JournalError::storage(&self.storage, StorageOp::SyncDir, source)
            })?;
        }
        if let Some(torn) = self.torn {
            self.storage
                .truncate(torn.offset)
                .map_err(|source| JournalError::WriteFailed {
                    op: StorageOp::Truncate,
                    path: self.storage.path().to_owned(),
                    offset: torn.offset,
                    source,
                })?;
        }
        // Two frames in one write could land second-first (its sectors in
        // any order), leaving a valid record behind a torn one: corruption,
        // not a torn tail. So each frame is written and synced alone.
        let mut offset = self.end;
        for frame in &frames {
            self.storage
                .append(frame)
                .map_err(|source| JournalError::WriteFailed {
                    op: StorageOp::Append,
                    path: self.storage.path().to_owned(),
                    offset,
                    source,
                })?;
            self.storage
                .sync_data()
                .map_err(|source| JournalError::SyncFailed {
                    path: self.storage.path().to_owned(),
                    offset,
                    source,
                })?;
            offset += frame.len() as u64;
        }
        self.unusable = false;
        self.torn = None;
        self.end = offset;
        self.next_seq = seq;
        self.prev_crc = prev;
        self.progress = progress;
        Ok(&self.progress)
    }
}

/// What replaying a journal's file found.
#[derive(Default)]
struct Replayed {
    header: Option<Header>,
    progress: Progress,
    end: u64,
    next_seq: u64,
    prev_crc: u32,
    torn: Option<TornTail>,
}

/// Replays the open `storage`, if its file `exists`, through the transition
/// function.
fn replay<T: Storage>(storage: &mut T, exists: bool) -> Result<Replayed, JournalError> {
    if !exists {
        return Ok(Replayed::default());
    }
    let mut scanner = Scanner::start(storage)?;
    let mut progress = Progress::default();
    while let Some((_, next)) = scanner.replay_next(&progress)? {
        progress = next;
    }
    Ok(Replayed {
        header: Some(scanner.header()),
        progress,
        end: scanner.position(),
        next_seq: scanner.next_seq(),
        prev_crc: scanner.prev_crc(),
        torn: match scanner.end() {
            Some(End::Torn(torn)) => Some(torn),
            Some(End::Clean) | None => None,
        },
    })
}
