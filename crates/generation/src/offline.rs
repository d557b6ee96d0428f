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
        // The CLIP vocabulary loads once (tens of milliseconds): keep that off the async workers.
        let _ = tokio::task::spawn_blocking(crate::clip::warm_up).await;
        let subject = strip_request_words(&donation.message);
        // Subject first, style words after: if the message is long, CLIP's window cuts the style, not the subject.
        let prompt =
            crate::clip::fit_clip_prompt(&format!("{PIXEL_TRIGGER}, {subject}, crisp outlines, limited palette"));
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
    for opener in ["please draw", "draw me", "draw", "нарисуй пожалуйста", "нарисуйте", "нарисуй"]
    {
        if !lower.starts_with(opener) {
            continue;
        }
        // Cut by characters, not bytes: lowercasing may change byte lengths.
        let cut = trimmed.char_indices().nth(opener.chars().count()).map_or(trimmed.len(), |(i, _)| i);
        let rest = &trimmed[cut..];
        // A whole word only: "drawer" is not "draw".
        if rest.starts_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        let rest = rest.trim_start_matches([' ', ',', ':', '!', '-']);
        if !rest.is_empty() {
            return rest.to_owned();
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
        assert_eq!(strip_request_words("drawer full of socks"), "drawer full of socks");
        assert_eq!(strip_request_words("НАРИСУЙ: замок"), "замок");
    }

    #[tokio::test]
    async fn a_long_message_still_fits_clip() {
        let brief = DonationBrief {
            id: 1,
            donor: "d".into(),
            amount: "1".into(),
            currency: "USD".into(),
            message: "draw ".to_owned() + &"a very detailed mountain village, ".repeat(30),
            locale: "en".into(),
        };
        let PlanDecision::Draw(plan) = OfflinePlanner.plan(&brief).await.unwrap() else { panic!() };
        assert!(plan.prompt.starts_with("pixel art, a very detailed mountain village"));
        assert!(crate::clip::clip_token_count(&plan.prompt) <= crate::clip::CLIP_PROMPT_TOKENS);
    }

    #[test]
    fn seed_depends_on_donation() {
        assert_eq!(seed_for(1, "fox"), seed_for(1, "fox"));
        assert_ne!(seed_for(1, "fox"), seed_for(2, "fox"));
    }
}
