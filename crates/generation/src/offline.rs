//! The built-in planner: no LLM, the prompt is built from the already moderated message.

use async_trait::async_trait;

use crate::{DonationBrief, PlanDecision, PlanError, ScenePlan, ScenePlanner};

/// Trigger words of `nerijs/pixel-art-xl`, kept at the front of every prompt.
pub const PIXEL_TRIGGER: &str = "pixel art";

/// Builds `pixel art, <message>, …` with a seed derived from the donation id and text.
#[derive(Debug, Default, Clone)]
pub struct OfflinePlanner;

#[async_trait]
impl ScenePlanner for OfflinePlanner {
    fn name(&self) -> &str {
        "offline"
    }

    async fn plan(&self, donation: &DonationBrief) -> Result<PlanDecision, PlanError> {
        let subject = strip_request_words(&donation.message);
        let prompt = format!("{PIXEL_TRIGGER}, {subject}, crisp outlines, limited palette");
        Ok(PlanDecision::Draw(ScenePlan {
            prompt,
            negative_prompt: "blurry, photo, 3d render, text, watermark".to_owned(),
            style_notes: None,
            palette: Vec::new(),
            seed: seed_for(donation.id, &donation.message),
        }))
    }
}

/// Drops "please draw" style openers so the prompt names the subject.
fn strip_request_words(message: &str) -> String {
    let trimmed = message.trim();
    let lower = trimmed.to_lowercase();
    for opener in ["please draw", "draw me", "draw", "нарисуй пожалуйста", "нарисуйте", "нарисуй"] {
        if lower.starts_with(opener) {
            let rest = trimmed[opener.len()..].trim_start_matches([' ', ',', ':']);
            if !rest.is_empty() {
                return rest.to_owned();
            }
        }
    }
    trimmed.to_owned()
}

/// FNV-1a over id and text: stable across runs and platforms.
pub fn seed_for(id: i64, text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.to_le_bytes().iter().chain(text.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h & 0xFFFF_FFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opener_is_removed_and_subject_kept() {
        assert_eq!(strip_request_words("Draw a fox sleeping in the snow"), "a fox sleeping in the snow");
        assert_eq!(strip_request_words("Нарисуй кота в космосе"), "кота в космосе");
        assert_eq!(strip_request_words("a castle"), "a castle");
    }

    #[test]
    fn seed_depends_on_donation() {
        assert_eq!(seed_for(1, "fox"), seed_for(1, "fox"));
        assert_ne!(seed_for(1, "fox"), seed_for(2, "fox"));
    }
}
