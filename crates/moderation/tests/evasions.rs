//! Property tests: evasions of bad words stay caught, innocent words stay allowed, and masking never
//! changes a character it does not star.
//!
//! `cargo test -p moderation --test evasions`

use moderation::{check, check_donation, VerdictKind};
use proptest::prelude::*;

/// Bad words with the least verdict each must keep under any evasion.
const BAD: &[(&str, VerdictKind)] = &[
    ("naked", VerdictKind::Block),
    ("nude", VerdictKind::Block),
    ("porn", VerdictKind::Block),
    ("sex", VerdictKind::Block),
    ("penis", VerdictKind::Block),
    ("hentai", VerdictKind::Block),
    ("nigger", VerdictKind::Block),
    ("faggot", VerdictKind::Block),
    ("swastika", VerdictKind::Block),
    ("hitler", VerdictKind::Block),
    ("suicide", VerdictKind::Block),
    ("decapitated", VerdictKind::Block),
    ("голая", VerdictKind::Block),
    ("порно", VerdictKind::Block),
    ("секс", VerdictKind::Block),
    ("сиськи", VerdictKind::Block),
    ("пидорас", VerdictKind::Block),
    ("суицид", VerdictKind::Block),
    ("расчленёнка", VerdictKind::Block),
    ("хуй", VerdictKind::Block),
    ("пизда", VerdictKind::Block),
    ("педофил", VerdictKind::Block),
    ("свастика", VerdictKind::Block),
    ("эротика", VerdictKind::Block),
    ("cocaine", VerdictKind::Block),
    ("heroin", VerdictKind::Block),
    ("jihad", VerdictKind::Block),
    ("кокаин", VerdictKind::Block),
    ("наркоман", VerdictKind::Block),
    ("теракт", VerdictKind::Block),
    ("fuck", VerdictKind::Profanity),
    ("shit", VerdictKind::Profanity),
    ("bitch", VerdictKind::Profanity),
    ("пиздец", VerdictKind::Profanity),
    ("блядь", VerdictKind::Profanity),
    ("заебал", VerdictKind::Profanity),
    ("охуеть", VerdictKind::Profanity),
    ("мудак", VerdictKind::Profanity),
    ("сука", VerdictKind::Profanity),
    ("хуйня", VerdictKind::Profanity),
    ("долбоеб", VerdictKind::Profanity),
    ("ебать", VerdictKind::Profanity),
];

/// Innocent words that contain bad-looking parts, and ordinary words.
const INNOCENT: &[&str] = &[
    "страхуй",
    "подстрахуй",
    "застрахуйте",
    "скипидар",
    "оглобля",
    "сабля",
    "рубля",
    "употреблять",
    "гребля",
    "хулиган",
    "истребитель",
    "небеса",
    "команда",
    "потребитель",
    "тебя",
    "хлебать",
    "колебаться",
    "корабля",
    "наблюдать",
    "мудрый",
    "канал",
    "анализ",
    "педикюр",
    "попытка",
    "Scunthorpe",
    "assassin",
    "Essex",
    "cocktail",
    "therapist",
    "shiitake",
    "bass",
    "Hancock",
    "cockpit",
    "Sussex",
    "grape",
    "analysis",
    "class",
    "butterfly",
    "peacock",
    "glass",
    "document",
    "нарисуй",
    "кота",
    "в",
    "космосе",
    "draw",
    "a",
    "fox",
    "sleeping",
    "in",
    "the",
    "snow",
    "дракон",
    "замок",
    "закат",
    "robot",
    "castle",
    "sunset",
    "и",
    "с",
    "на",
    "cute",
    "dragon",
    "лиса",
];

/// Separators placed between letters to spread a word out.
const SEPARATORS: &[&str] = &[" ", ".", "-", "_", ". ", " . ", ",", "/", "'", " - ", "  "];

/// Invisible characters that may be slipped between letters.
const INVISIBLE: &[char] = &['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{180E}'];

/// Look-alikes a Russian letter may be swapped for.
fn cyr_lookalikes(c: char) -> &'static [&'static str] {
    match c {
        'а' => &["a", "@", "4"],
        'б' => &["6", "b"],
        'в' => &["b", "8"],
        'е' => &["e", "3"],
        'з' => &["3", "z"],
        'и' => &["u", "i"],
        'к' => &["k"],
        'м' => &["m"],
        'н' => &["h", "n"],
        'о' => &["o", "0"],
        'п' => &["n"],
        'р' => &["p"],
        'с' => &["c", "s"],
        'т' => &["t", "m"],
        'у' => &["y"],
        'х' => &["x"],
        'ч' => &["4"],
        'ш' => &["w"],
        'я' => &["9"],
        _ => &[],
    }
}

/// Look-alikes an English letter may be swapped for (Cyrillic, Greek, digits, symbols).
fn lat_lookalikes(c: char) -> &'static [&'static str] {
    match c {
        'a' => &["а", "@", "4", "α"],
        'b' => &["в", "8"],
        'c' => &["с", "¢"],
        'e' => &["е", "3", "€"],
        'g' => &["9", "6"],
        'h' => &["н"],
        'i' => &["1", "і", "|"],
        'k' => &["к"],
        'm' => &["м"],
        'n' => &["п"],
        'o' => &["о", "0", "ο"],
        'p' => &["р"],
        's' => &["$", "5", "ѕ"],
        't' => &["т", "7"],
        'u' => &["v", "υ"],
        'x' => &["х"],
        'y' => &["у"],
        _ => &[],
    }
}

fn is_cyr(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// Swaps letters of `word` for look-alikes where `pick[i]` says so, always keeping at least one
/// letter of the word's own script (a fully swapped Russian word is a different, Latin word).
fn swap(word: &str, pick: &[u8]) -> String {
    let letters: Vec<char> = word.chars().collect();
    let mut out = String::new();
    let mut kept_own = false;
    for (i, &c) in letters.iter().enumerate() {
        let alts = if is_cyr(c) { cyr_lookalikes(c) } else { lat_lookalikes(c) };
        let p = pick[i % pick.len()] as usize;
        let last_chance = i + 1 == letters.len() && !kept_own;
        if alts.is_empty() || p.is_multiple_of(3) || last_chance {
            out.push(c);
            kept_own = true;
        } else {
            let alt = alts[p % alts.len()];
            // '|' stands for 'i' only inside a word.
            if alt == "|" && (i == 0 || i + 1 == letters.len()) {
                out.push(c);
            } else {
                out.push_str(alt);
            }
        }
    }
    out
}

fn least(verdict: VerdictKind) -> impl Fn(VerdictKind) -> bool {
    move |got| match verdict {
        VerdictKind::Block => got == VerdictKind::Block,
        _ => got != VerdictKind::Allow,
    }
}

fn bad_word() -> impl Strategy<Value = (&'static str, VerdictKind)> {
    prop::sample::select(BAD)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn separators_keep_bad_words_caught((word, want) in bad_word(), seps in prop::collection::vec(prop::sample::select(SEPARATORS), 1..20)) {
        let mut text = String::from("нарисуй ");
        for (i, c) in word.chars().enumerate() {
            if i > 0 {
                text.push_str(seps[i % seps.len()]);
            }
            text.push(c);
        }
        text.push_str(" please");
        let v = check(&text);
        prop_assert!(least(want)(v.verdict), "{text:?} got {v:?}");
    }

    #[test]
    fn repeats_keep_bad_words_caught((word, want) in bad_word(), counts in prop::collection::vec(1usize..6, 1..20), upper in any::<bool>()) {
        let mut text = String::from("draw ");
        for (i, c) in word.chars().enumerate() {
            for _ in 0..counts[i % counts.len()] {
                text.push(c);
            }
        }
        if upper {
            text = text.to_uppercase();
        }
        let v = check(&text);
        prop_assert!(least(want)(v.verdict), "{text:?} got {v:?}");
    }

    #[test]
    fn lookalikes_keep_bad_words_caught((word, want) in bad_word(), pick in prop::collection::vec(any::<u8>(), 1..20)) {
        let text = format!("нарисуй {} пожалуйста", swap(word, &pick));
        let v = check(&text);
        prop_assert!(least(want)(v.verdict), "{text:?} got {v:?}");
    }

    #[test]
    fn invisible_characters_keep_bad_words_caught((word, want) in bad_word(), picks in prop::collection::vec(prop::option::of(prop::sample::select(INVISIBLE)), 1..20)) {
        let mut text = String::from("draw a ");
        for (i, c) in word.chars().enumerate() {
            text.push(c);
            if let Some(z) = picks[i % picks.len()] {
                text.push(z);
            }
        }
        let v = check(&text);
        prop_assert!(least(want)(v.verdict), "{text:?} got {v:?}");
    }

    #[test]
    fn evasions_combined_keep_bad_words_caught((word, want) in bad_word(), pick in prop::collection::vec(any::<u8>(), 1..20), sep in prop::sample::select(SEPARATORS), z in prop::sample::select(INVISIBLE)) {
        let swapped = swap(word, &pick);
        let mut text = String::from("a ");
        for (i, c) in swapped.chars().enumerate() {
            if i > 0 {
                text.push_str(sep);
                text.push(z);
            }
            text.push(c);
        }
        let v = check(&text);
        prop_assert!(least(want)(v.verdict), "{text:?} got {v:?}");
    }

    #[test]
    fn innocent_words_are_never_flagged(words in prop::collection::vec(prop::sample::select(INNOCENT), 1..12)) {
        let text = words.join(" ");
        let v = check(&text);
        prop_assert_eq!(v.verdict, VerdictKind::Allow, "{:?} got {:?}", text, v);
        prop_assert_eq!(v.masked, text);
    }

    #[test]
    fn masking_changes_only_starred_chars(parts in prop::collection::vec(prop_oneof![
        prop::sample::select(BAD).prop_map(|(w, _)| w.to_string()),
        prop::sample::select(INNOCENT).prop_map(str::to_string),
        "\\PC{0,8}",
        prop::sample::select(SEPARATORS).prop_map(str::to_string),
        prop::sample::select(INVISIBLE).prop_map(String::from),
        Just("х*й".to_string()),
        Just("f u c k".to_string()),
        Just("и\u{0306}".to_string()),
    ], 0..12)) {
        let text = parts.concat();
        let v = check(&text);
        let orig: Vec<char> = text.chars().collect();
        let masked: Vec<char> = v.masked.chars().collect();
        prop_assert_eq!(orig.len(), masked.len(), "char count changed: {:?} -> {:?}", text, v.masked);
        for (o, m) in orig.iter().zip(&masked) {
            prop_assert!(o == m || *m == '*', "{:?} -> {:?}: {:?} became {:?}", text, v.masked, o, m);
            prop_assert!(!o.is_whitespace() || o == m, "whitespace starred in {:?}", text);
        }
        if v.verdict == VerdictKind::Allow {
            prop_assert_eq!(&v.masked, &text);
        }
    }

    #[test]
    fn a_bad_donor_name_never_decides_the_verdict((word, _) in bad_word(), msg in prop::sample::select(&["draw a fox sleeping in the snow", "нарисуй кота в космосе"][..])) {
        let d = check_donation(word, msg);
        prop_assert_eq!(d.message.verdict, VerdictKind::Allow);
        prop_assert_ne!(d.donor_masked, word.to_string());
    }
}

#[test]
fn masking_examples() {
    assert_eq!(check("нарисуй хуй").masked, "нарисуй х**");
    assert_eq!(check("п и з д а").masked, "п * * * *");
    assert_eq!(check("Нарисуй кота, блять!").masked, "Нарисуй кота, б****!");
    assert_eq!(check("f.u.c.k").masked, "f.*.*.*");
    assert_eq!(check("ХУЙНЯ какая-то").masked, "Х**** какая-то");
    assert_eq!(check("х\u{200B}уй").masked, "х\u{200B}**");
    assert_eq!(check("охуенный закат, йо").masked, "о******* закат, йо");
}

#[test]
fn translit_is_read_as_russian_and_masked_in_the_original_letters() {
    use moderation::Category;
    let v = check("narisuy goluyu devushku");
    assert_eq!((v.verdict, v.category), (VerdictKind::Block, Some(Category::Sexual)));
    assert_eq!(v.masked, "narisuy g***** devushku");
    let v = check("narisuy svastiku");
    assert_eq!((v.verdict, v.category), (VerdictKind::Block, Some(Category::Hate)));
    let v = check("narisuy shkolnicu bez odezhdy");
    assert_eq!((v.verdict, v.category), (VerdictKind::Block, Some(Category::Minors)));
    let v = check("ohuennogo kota narisuy");
    assert_eq!(v.verdict, VerdictKind::Profanity);
    assert_eq!(v.masked, "o******** kota narisuy");
    // English is never read as Russian, nor are English words inside a Russian text.
    assert_eq!(check("a hue shift on my cat, tsp of sugar").verdict, VerdictKind::Allow);
    assert_eq!(check("narisuy devushku, her hair is red").verdict, VerdictKind::Allow);
    assert_eq!(check("narisui zamok na gore pri zakate").verdict, VerdictKind::Allow);
}

#[test]
fn new_categories_parse_and_block() {
    use moderation::{parse_rules, Category, Moderator};
    for (name, c) in [("drugs", Category::Drugs), ("extremism", Category::Extremism), ("doxxing", Category::Doxxing)] {
        assert_eq!(Category::parse(name), Some(c));
        assert_eq!(serde_json::to_value(c).unwrap(), name);
        let rules = parse_rules(&format!("block:{name} ^klown~")).unwrap();
        let v = Moderator::with_rules(&rules).unwrap().check("a klowns party");
        assert_eq!((v.verdict, v.category), (VerdictKind::Block, Some(c)));
    }
    assert_eq!(check("draw a guy smoking a joint").category, Some(Category::Drugs));
    assert_eq!(check("нарисуй флаг ИГИЛ").category, Some(Category::Extremism));
    let v = check("нарисуй номер +7 916 482-13-07");
    assert_eq!((v.verdict, v.category), (VerdictKind::Block, Some(Category::Doxxing)));
    assert_eq!(v.masked, "нарисуй номер +7 9** 4**-**-**");
    for fine in ["нарисуй торт с цифрой 2025", "счёт 3:2", "1920x1080", "арбуз 199 руб/кг", "10 cats", "$19.99"]
    {
        assert_eq!(check(fine).verdict, VerdictKind::Allow, "{fine}");
    }
}

#[test]
fn donation_masks_the_name_but_the_message_decides() {
    let d = check_donation("Хуеплёт228", "нарисуй лису");
    assert_eq!(d.message.verdict, VerdictKind::Allow);
    assert_eq!(d.donor_masked, "Х*********");
    let d = check_donation("Аня", "нарисуй голую девушку");
    assert_eq!(d.message.verdict, VerdictKind::Block);
    assert_eq!(d.donor_masked, "Аня");
}

#[test]
fn json_shape_matches_the_moderate_command() {
    let v = check("kill yourself");
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["verdict"], "block");
    assert_eq!(json["category"], "self_harm");
    assert_eq!(json["masked"], "k*** y*******");
    let json = serde_json::to_value(check("a fox")).unwrap();
    assert_eq!(json["category"], serde_json::Value::Null);
}

#[test]
fn custom_rules_block_allow_and_mask() {
    use moderation::{Category, Moderator, Rule, RuleAction};
    let m = Moderator::with_rules(&[
        Rule { pattern: "^rival~".into(), action: RuleAction::Block(Category::Other) },
        Rule { pattern: "^жмых~".into(), action: RuleAction::Profanity },
        Rule { pattern: "^пиздатый$".into(), action: RuleAction::Allow },
    ])
    .unwrap();
    let v = m.check("draw the r1val streamer");
    assert_eq!((v.verdict, v.category), (VerdictKind::Block, Some(Category::Other)));
    assert_eq!(v.masked, "draw the r**** streamer");
    assert_eq!(m.check("жмыхи").verdict, VerdictKind::Profanity);
    assert_eq!(m.check("пиздатый кот").verdict, VerdictKind::Allow);
    // The built-in lists still apply.
    assert_eq!(m.check("нарисуй голую девушку").category, Some(Category::Sexual));
    assert!(Moderator::with_rules(&[Rule { pattern: "(".into(), action: RuleAction::Profanity }]).is_err());
}

#[test]
fn a_streamers_hold_rule_holds_evasions_too_but_never_outranks_a_block() {
    use moderation::{parse_rules, Category, Moderator};
    let m = Moderator::with_rules(
        &parse_rules("hold ^clown~\nhold ^клоун~\nallow ^clownfish$\nblock:hate ^rival~\nprofanity ^heck$").unwrap(),
    )
    .unwrap();
    assert_eq!(m.rule_count(), 5);
    for text in ["draw a clown", "draw a CL0WN", "draw a c l o w n", "draw a cl*wn", "нарисуй клоуна", "нарисуй kлoуна"]
    {
        let v = m.check(text);
        assert_eq!((v.verdict, v.category), (VerdictKind::Hold, None), "{text}");
        assert_eq!(v.masked, text, "a held word is not starred: {text}");
    }
    assert_eq!(m.check("draw a clown").rule.as_deref(), Some("^clown~"));
    assert_eq!(m.check("нарисуй клоуна").rule.as_deref(), Some("^клоун~"));
    assert_eq!(m.check("draw a clownfish").verdict, VerdictKind::Allow, "an allow rule cancels the hold inside it");
    let careless = Moderator::with_rules(&parse_rules("allow ^loli~\nallow ^nude~").unwrap()).unwrap();
    assert_eq!(careless.check("draw a loli").category, Some(Category::Minors), "no allow rule unblocks minors");
    assert_eq!(careless.check("draw a nude statue").verdict, VerdictKind::Allow, "other allow rules do apply");
    // Hold outranks profanity; the rude word stays starred.
    let v = m.check("draw a fucking clown");
    assert_eq!(v.verdict, VerdictKind::Hold);
    assert_eq!(v.masked, "draw a f****** clown");
    // Any block outranks a hold, built-in or the streamer's.
    let v = m.check("draw a naked clown");
    assert_eq!((v.verdict, v.category, v.rule.as_deref()), (VerdictKind::Block, Some(Category::Sexual), None));
    let v = m.check("draw a clown and my r1val");
    assert_eq!((v.verdict, v.category, v.rule.as_deref()), (VerdictKind::Block, Some(Category::Hate), Some("^rival~")));
    let v = m.check("oh heck, a cat");
    assert_eq!(
        (v.verdict, v.rule.as_deref(), v.masked.as_str()),
        (VerdictKind::Profanity, Some("^heck$"), "oh h***, a cat")
    );
    // Built-in verdicts name no rule, and without rules nothing is ever held.
    assert_eq!(m.check("draw a fucking cat").rule, None);
    assert_eq!(check("draw a clown").verdict, VerdictKind::Allow);
    let json = serde_json::to_value(m.check("draw a clown")).unwrap();
    assert_eq!(json["verdict"], "hold");
    assert_eq!(json["rule"], "^clown~");
    assert!(serde_json::to_value(check("a cat")).unwrap().get("rule").is_none(), "no rule key without a rule");
}

#[test]
fn long_and_odd_inputs_are_handled() {
    let long = "нарисуй кота и собаку, draw a fox! ".repeat(300);
    assert_eq!(check(&long).verdict, VerdictKind::Allow);
    let spaced = "a ".repeat(2000);
    assert_eq!(check(&spaced).verdict, VerdictKind::Allow);
    let stars = "*".repeat(500);
    assert_eq!(check(&stars).masked, stars);
    assert_eq!(check("").verdict, VerdictKind::Allow);
    let zalgo = "ф\u{0336}\u{0337}\u{0338}о\u{0301}\u{0302}кс";
    assert_eq!(check(zalgo).masked, zalgo);
}

#[test]
fn moderator_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<moderation::Moderator>();
    let m = std::sync::Arc::new(moderation::Moderator::new());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let m = m.clone();
            std::thread::spawn(move || m.check(if i % 2 == 0 { "нарисуй хуй" } else { "a fox" }).verdict)
        })
        .collect();
    let got: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(got, [VerdictKind::Block, VerdictKind::Allow, VerdictKind::Block, VerdictKind::Allow]);
}

#[test]
fn a_phrase_never_runs_from_the_words_into_their_alternative_readings() {
    // "kill" ends the words and "yourself" starts the alternative readings of "yourself-ok": not a
    // phrase (this used to panic with a letter range running backwards).
    assert_eq!(check("yourself-ok kill").verdict, VerdictKind::Allow);
    assert_eq!(check("yourself-ok, kill").verdict, VerdictKind::Allow);
    assert_eq!(check("kill yourself, ok").verdict, VerdictKind::Block);
}
