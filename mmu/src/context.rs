//! The hart state that translation depends on, as plain inputs.

use crate::access::{AccessType, Privilege};
use crate::satp::{Satp, SatpMode};

/// What translation needs to know about the hart, with no dependency on any hart type: the
/// current privilege, `satp`, and the `mstatus` bits SUM, MXR, MPRV and MPP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TranslateCtx {
    /// The current privilege mode.
    pub privilege: Privilege,
    /// The current `satp`.
    pub satp: Satp,
    /// `mstatus.SUM`: S-mode loads and stores may touch U pages.
    pub sum: bool,
    /// `mstatus.MXR`: loads may read executable-only pages.
    pub mxr: bool,
    /// `mstatus.MPRV`: M-mode loads and stores use the privilege in MPP.
    pub mprv: bool,
    /// `mstatus.MPP`.
    pub mpp: Privilege,
}

impl TranslateCtx {
    const SUM: u64 = 1 << 18;
    const MXR: u64 = 1 << 19;
    const MPRV: u64 = 1 << 17;
    const MPP_SHIFT: u32 = 11;

    /// A context with SUM, MXR and MPRV clear.
    pub const fn new(privilege: Privilege, satp: Satp) -> TranslateCtx {
        TranslateCtx {
            privilege,
            satp,
            sum: false,
            mxr: false,
            mprv: false,
            mpp: Privilege::User,
        }
    }

    /// A context from the raw `mstatus` value (a reserved MPP of 2 reads as U).
    pub const fn from_mstatus(privilege: Privilege, mstatus: u64, satp: Satp) -> TranslateCtx {
        TranslateCtx {
            privilege,
            satp,
            sum: mstatus & Self::SUM != 0,
            mxr: mstatus & Self::MXR != 0,
            mprv: mstatus & Self::MPRV != 0,
            mpp: match Privilege::from_bits((mstatus >> Self::MPP_SHIFT) & 3) {
                Some(p) => p,
                None => Privilege::User,
            },
        }
    }

    /// The privilege an access is checked and translated with: MPP for loads and stores in
    /// M-mode when MPRV is set, otherwise the current privilege. Fetches always use the current
    /// privilege.
    #[inline]
    pub const fn effective_privilege(&self, access: AccessType) -> Privilege {
        match (access, self.privilege, self.mprv) {
            (AccessType::Load | AccessType::Store, Privilege::Machine, true) => self.mpp,
            _ => self.privilege,
        }
    }

    /// Whether the access goes through page tables (effective privilege below M and `satp` not
    /// `Bare`).
    #[inline]
    pub const fn is_paged(&self, access: AccessType) -> bool {
        !matches!(self.effective_privilege(access), Privilege::Machine)
            && !matches!(self.satp.mode(), SatpMode::Bare)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mprv_applies_to_loads_and_stores_in_m_mode_only() {
        let ctx = TranslateCtx::from_mstatus(Privilege::Machine, 1 << 17 | 1 << 11, Satp::BARE);
        assert_eq!(
            AccessType::ALL.map(|a| ctx.effective_privilege(a)),
            [
                Privilege::Machine,
                Privilege::Supervisor,
                Privilege::Supervisor
            ]
        );
    }

    #[test]
    fn mprv_is_ignored_below_m_mode() {
        let ctx = TranslateCtx::from_mstatus(Privilege::User, 1 << 17 | 3 << 11, Satp::BARE);
        assert_eq!(ctx.effective_privilege(AccessType::Load), Privilege::User);
    }
}
