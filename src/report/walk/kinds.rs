//! The names of the event kinds, by their variant index on disk.

#[cfg(doc)]
use crate::model::event::Event;

/// Event kinds by their variant index on disk (see `spec/FORMAT.md`), as
/// [`Event::kind`] names them.
pub const EVENT_KINDS: [&str; 16] = [
    "attempt-started",
    "restarted",
    "boot-refused",
    "config-fetched",
    "stage-began",
    "stage-ended",
    "stage-failed",
    "reboot-planned",
    "completed",
    "poisoned",
    "reset",
    "tail-repaired",
    "config-kept",
    "config-restored",
    "kept-config-removed",
    "call-failed",
];

/// The name of the event kind with variant index `index`, if this version
/// knows it.
pub fn kind_name(index: u32) -> Option<&'static str> {
    EVENT_KINDS.get(index as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Event;
    use crate::model::event::Stamp;
    use crate::model::event::{BootId, PoisonReason, RebootReason, Sha256, Trigger};
    use crate::model::stage::Stage;

    #[test]
    fn kind_names_follow_the_variant_indexes_on_disk() {
        let stamp = Stamp {
            boot_id: BootId([1; 16]),
            wall_ms: 0,
            mono_ns: 0,
        };
        let every_kind = [
            Event::AttemptStarted {
                epoch: 1,
                trigger: Trigger::Firstboot,
            },
            Event::Restarted { planned: None },
            Event::BootRefused,
            Event::ConfigFetched {
                sha256: Sha256([0; 32]),
            },
            Event::StageBegan {
                stage: Stage::Disks,
            },
            Event::StageEnded {
                stage: Stage::Disks,
            },
            Event::StageFailed {
                stage: Stage::Disks,
                reason: String::new(),
            },
            Event::RebootPlanned {
                reason: RebootReason::Kargs,
            },
            Event::Completed,
            Event::Poisoned {
                reason: PoisonReason::RetriesExhausted {
                    restarts: 6,
                    limit: 5,
                },
            },
            Event::Reset {
                reason: String::new(),
            },
            Event::TailRepaired {
                offset: 0,
                dropped: 0,
            },
            Event::ConfigKept {
                sha256: Sha256([0; 32]),
                size: 0,
            },
            Event::ConfigRestored {
                sha256: Sha256([0; 32]),
            },
            Event::KeptConfigRemoved {
                sha256: Sha256([0; 32]),
                cause: crate::model::event::RemovalCause::Unbound,
            },
            Event::CallFailed {
                call: crate::model::event::CallName::Check,
                status: 54,
                reason: String::new(),
            },
        ];
        assert_eq!(every_kind.len(), EVENT_KINDS.len());
        for event in every_kind {
            let payload = crate::format::codec::encode(&stamp, &event).unwrap();
            let (_, index) = crate::format::codec::decode_stamp(&payload).unwrap();
            assert_eq!(kind_name(index), Some(event.kind()));
        }
        assert_eq!(kind_name(EVENT_KINDS.len() as u32), None);
    }
}
