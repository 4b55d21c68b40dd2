//! Invite tickets: what `llp invite` prints and `--join` takes. A ticket names the network, may
//! carry its secret, and holds the inviter's contact (id and addresses), as `llp1` and the
//! base32 of its JSON.

use serde::{Deserialize, Serialize};

use super::wire::Contact;
use crate::ids::NodeId;

/// How to reach a node and which network it is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ticket {
    pub network: String,
    /// Present when the inviter chose to share it; otherwise the joiner passes `--network-secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(flatten)]
    pub contact: Contact,
}

const TICKET_PREFIX: &str = "llp1";

impl Ticket {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("tickets serialize");
        format!(
            "{TICKET_PREFIX}{}",
            data_encoding::BASE32_NOPAD.encode(&json).to_lowercase()
        )
    }

    pub fn decode(s: &str) -> Result<Ticket, String> {
        let s = s.trim();
        let body = s.strip_prefix(TICKET_PREFIX).ok_or_else(|| {
            format!(
                "`{}` is not an llp ticket (they start with `{TICKET_PREFIX}`; get one from `llp invite`)",
                s.chars().take(24).collect::<String>()
            )
        })?;
        let bytes = data_encoding::BASE32_NOPAD
            .decode(body.to_uppercase().as_bytes())
            .map_err(|e| {
                format!("ticket is damaged (not base32: {e}); copy it again from `llp invite`")
            })?;
        let t: Ticket = serde_json::from_slice(&bytes)
            .map_err(|e| format!("ticket is damaged ({e}); copy it again from `llp invite`"))?;
        t.id().map_err(|e| format!("ticket: {e}"))?;
        Ok(t)
    }

    /// The inviter's id.
    pub fn id(&self) -> Result<NodeId, crate::ids::IdError> {
        NodeId::parse(&self.contact.id)
    }
}
