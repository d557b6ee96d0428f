//! Doxxing: personal data that must never be shown on stream, found in the text as written (digits,
//! brackets and dashes matter here, so these patterns run on the original text, not on the letters).
//!
//! * **Alone**: a phone number (Russian `+7 916 482-13-07`, `8(912)345-67-89`, `89261234567`; North
//!   American `(555) 312-8840`, `+1 312 555 0198`; any `+CC` number of 7 digits or more); a passport
//!   ("серия 4512 номер 836194"), SNILS (`123-456-789 01`), INN, US SSN or a card number.
//! * **Together** (two different kinds of sign): a street address with a number ("ул. Ленина 5",
//!   "1427 Elm Street"), a flat ("кв. 12", "apt 4"), a postcode ("LS6 2QR", "OH 45402"), a school and
//!   class ("школа №43", "из 11Б"), a profile link or e-mail, a workplace ("works at"), and a call to
//!   find or contact someone ("lives at", "живёт на", "go find her", "навестите её", "звоните ему",
//!   "её вк"). One sign alone is ordinary: "221B Baker Street", "10 Downing Street", "email me at
//!   cat@mail.com", "дом на улице Садовой".
//!
//! Numbers that are not phone numbers stay allowed: years (1945, 2025), scores (3:2), prices (500 ₽,
//! $19.99), resolutions (1920x1080), counts ("10 cats").

use std::ops::Range;

use regex::{Regex, RegexSet};

/// What one match says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sign {
    /// Personal data by itself: a phone number or an identity document's number.
    Alone,
    Address,
    Flat,
    Postcode,
    School,
    Link,
    Ip,
    Profile,
    Workplace,
    Call,
}

/// Each pattern's regex; the span that counts is capture group 1 when there is one.
const PATTERNS: &[(&str, Sign)] = &[
    // --- phone numbers ---
    // Russian: +7 / 8 / 7, then 3-3-2-2 digits with optional spaces, dashes, dots and brackets.
    (
        r"(?:^|[^0-9])((?:\+\s*7|8|7)[\s\-.]*\(?\s*[0-9]{3}\s*\)?[\s\-.]*[0-9]{3}[\s\-.]*[0-9]{2}[\s\-.]*[0-9]{2})(?:[^0-9]|$)",
        Sign::Alone,
    ),
    // North American: optional +1, then 3-3-4 digits.
    (r"(?:^|[^0-9])((?:\+?\s*1[\s\-.]*)?\(\s*[0-9]{3}\s*\)[\s\-.]*[0-9]{3}[\s\-.]*[0-9]{4})(?:[^0-9]|$)", Sign::Alone),
    (r"(?:^|[^0-9])((?:\+?\s*1[\s\-.]+)?[0-9]{3}[\s\-.][0-9]{3}[\s\-.][0-9]{4})(?:[^0-9]|$)", Sign::Alone),
    (r"(?:^|[^0-9])([0-9]{10,11})(?:[^0-9]|$)", Sign::Alone),
    // British: 0 then 10 digits in two or three groups ("07700 900461", "020 7946 0958").
    (r"(?:^|[^0-9])(0[0-9]{4}\s?[0-9]{6}|0[0-9]{2,3}\s[0-9]{3,4}\s[0-9]{4})(?:[^0-9]|$)", Sign::Alone),
    // Any number written with a country code.
    (r"(\+\s*[0-9]{1,3}(?:[\s\-.()]*[0-9]){7,12})", Sign::Alone),
    // --- identity documents and cards ---
    (
        r"(?i)((?:паспорт|серия|серии|passport|pasport|seriya)[^0-9]{0,24}[0-9]{2}\s?[0-9]{2}[^0-9]{0,16}[0-9]{6})(?:[^0-9]|$)",
        Sign::Alone,
    ),
    (r"(?:^|[^0-9])([0-9]{3}-[0-9]{3}-[0-9]{3}[\s\-][0-9]{2})(?:[^0-9]|$)", Sign::Alone),
    (r"(?i)((?:инн|inn|снилс|snils|ssn)[\s:№#]*[0-9][0-9\s\-]{8,14}[0-9])", Sign::Alone),
    (r"(?:^|[^0-9])([0-9]{3}-[0-9]{2}-[0-9]{4})(?:[^0-9]|$)", Sign::Alone),
    (r"(?:^|[^0-9])([0-9]{4}[\s\-][0-9]{4}[\s\-][0-9]{4}[\s\-][0-9]{4})(?:[^0-9]|$)", Sign::Alone),
    // --- addresses ---
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:ул|улиц[аеуы]|пр-?т|просп|проспект[аеу]?|пер|переул(?:ок|ке|ка)|шоссе|б-р|бульвар[аеу]?|наб|набережн[a-zA-Zа-яА-ЯёЁ]*|мкр|микрорайон[аеу]?|ul|ulitsa|ulica|ulitsy|prospekt|pereulok|naberezhnaya)(?:\.\s*|\s+)(?:[a-zA-Zа-яА-ЯёЁ]+[\s\-]*){1,3}[\s,.]*(?:д\.?|дом|d\.?|dom)?\s*[0-9]+)",
        Sign::Address,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])([0-9]{1,5}[a-z]?\s+(?:[a-z]+\s+){1,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|terrace|crescent|close|parkway|pkwy|highway|hwy))(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::Address,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:кв|квартир[аеуы]|kv|kvartira|kvartiry|apt|apartment|unit|suite|flat)\.?\s*(?:#|№)?\s*[0-9]+)",
        Sign::Flat,
    ),
    (
        r"(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])([A-Z]{1,2}[0-9][A-Z0-9]?\s[0-9][A-Z]{2})(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::Postcode,
    ),
    (
        r"(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])([A-ZА-ЯЁ][a-zа-яё]+,?\s+(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)(?:\s+[0-9]{5})?)(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::Postcode,
    ),
    // --- school and class, profile links ---
    (
        r"(?i)((?:школ[a-zA-Zа-яА-ЯёЁ]*|лице[a-zA-Zа-яА-ЯёЁ]*|гимнази[a-zA-Zа-яА-ЯёЁ]*|shkol[a-zA-Zа-яА-ЯёЁ]*|school)\s*(?:№|#|номер|nomer|no\.?)\s*[0-9]+)",
        Sign::School,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:из|iz|в|v)\s+[0-9]{1,2}\s?-?[абвгдеabvgd])(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::School,
    ),
    (
        r"(?i)((?:vk\.com|vk\.ru|instagram\.com|instagr\.am|t\.me|facebook\.com|fb\.com|tiktok\.com|twitter\.com|x\.com|ok\.ru|youtube\.com|twitch\.tv)/[a-zA-Z0-9_.@\-]+)",
        Sign::Link,
    ),
    (r"([a-zA-Z0-9_.\-]+@[a-zA-Z0-9_\-]+\.[a-zA-Z0-9_.\-]+)", Sign::Link),
    (r"(?:^|[^0-9.])((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?:[^0-9.]|$)", Sign::Ip),
    (r"(?:^|[^a-zA-Z0-9_.])(@[a-zA-Z0-9_.]{3,})", Sign::Link),
    (r"(?i)((?:из|в|iz|v)\s+[0-9]{1,3}(?:-?(?:й|ой|ей))?\s+(?:школ|shkol|лице|гимнази)[а-яa-z]*)", Sign::School),
    (r"(?i)((?:her|his|their) school|[A-Z][a-z]+ (?:High|Middle|Elementary)(?: School)?)", Sign::School),
    (
        r"(?i)((?:her|his|their|его|е[её]|их|'s) (?:snapchat|snap|insta|instagram|ig|tiktok|twitter|facebook|fb|discord|telegram|tg|vk|вк|вконтакте|инст[а-я]*|тг|телег[а-я]*|страниц[а-я]*|профил[а-я]*|phone number|number|address|адрес|номер|телефон))",
        Sign::Profile,
    ),
    // --- where someone works or lives, and calls to find or contact them ---
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:works?|working|worked) (?:at|in)|работа(?:ет|ют) (?:в|на)|учится (?:в|на)|rabotaet (?:v|na))(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::Workplace,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])(lives? (?:at|on|in|near)|living (?:at|on)|where (?:[a-zA-Zа-яА-ЯёЁ]+ ){0,2}lives?|жив[её]т|живут|прожива[a-zA-Zа-яА-ЯёЁ]+|zhiv[eyo]t|zhivut|her address|his address|their address|home address|адрес (?:его|е[её]|их)|(?:его|е[её]|их) (?:адрес|номер|телефон|вк|вконтакте|инст[a-zA-Zа-яА-ЯёЁ]*|тг|телег[a-zA-Zа-яА-ЯёЁ]*|страниц[a-zA-Zа-яА-ЯёЁ]*|профил[a-zA-Zа-яА-ЯёЁ]*)|(?:go |come |let'?s )?(?:find|visit|dox+|swat|hunt down|track down|pay a visit to) (?:him|her|them|this (?:guy|girl|dude|kid|person))|go say hi|so we can (?:visit|find|see)|(?:call|text|spam|message|dm|harass) (?:him|her|them)|навест[a-zA-Zа-яА-ЯёЁ]+|приходите|приходи к|найдите|найди (?:его|е[её]|их)|вычисл[a-zA-Zа-яА-ЯёЁ]+|деанон[a-zA-Zа-яА-ЯёЁ]*|звоните|звони (?:ему|ей)|пишите (?:ему|ей)|пусть (?:ей|ему|им) (?:все )?(?:пишут|звонят)|prihodite|naidite|najdite|navestite|zvonite|pishite|where .{1,40} lives?|(?:let'?s |go )?(?:ddos|dox+|swat|raid|harass|spam) (?:him|her|them)|(?:ring|call|text) (?:him|her|them)|pay (?:him|her|them) a visit|(?:map|directions|route) to|карт[а-я]* до (?:дома|квартиры|подъезда)|разбейте|разбей|побейте|набейте|отпиздите|вломите|затрав[а-я]+|травите|давайте (?:его|е[её]|их))(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::Call,
    ),
];

/// Words of the signs that need no digit, `@` or `/` (a workplace, a school, a profile): a text with none
/// of these and no digit, `@` or `/` has no doxxing sign.
const WORDLY_SIGNS: &str = "(?i)work|работа|учится|rabotaet|school|high|snap|insta|инст|вк|тг|телег|страниц|профил|tiktok|discord|twitter|facebook|адрес|address";

/// The compiled doxxing patterns: the signs, and (run only when a sign was found) the calls to find or
/// contact someone.
#[derive(Debug)]
pub(crate) struct Pii {
    signs: RegexSet,
    calls: RegexSet,
    wordly: Regex,
    /// Indices into `PATTERNS` of the members of `signs` and `calls`.
    sign_of: Vec<usize>,
    call_of: Vec<usize>,
    regexes: Vec<Regex>,
}

impl Pii {
    pub(crate) fn new() -> Pii {
        let (call_of, sign_of): (Vec<usize>, Vec<usize>) =
            (0..PATTERNS.len()).partition(|&i| PATTERNS[i].1 == Sign::Call);
        let set = |members: &[usize]| {
            RegexSet::new(members.iter().map(|&i| PATTERNS[i].0)).expect("the doxxing patterns compile")
        };
        Pii {
            signs: set(&sign_of),
            wordly: Regex::new(WORDLY_SIGNS).expect("the sign words compile"),
            calls: set(&call_of),
            regexes: PATTERNS.iter().map(|(p, _)| Regex::new(p).expect("a doxxing pattern compiles")).collect(),
            sign_of,
            call_of,
        }
    }

    /// The char ranges of `text` that are doxxing: every sign when one of them stands alone or when
    /// two different kinds of sign are present; nothing otherwise.
    pub(crate) fn find(&self, text: &str) -> Vec<Range<usize>> {
        // Every sign but a workplace needs a digit, an `@` or a `/`; a call counts only with a sign.
        if !text.bytes().any(|b| b.is_ascii_digit() || b == b'@' || b == b'/') && !self.wordly.is_match(text) {
            return Vec::new();
        }
        let signs = self.signs.matches(text);
        if !signs.matched_any() {
            return Vec::new();
        }
        let mut found: Vec<usize> = signs.iter().map(|i| self.sign_of[i]).collect();
        found.extend(self.calls.matches(text).iter().map(|i| self.call_of[i]));
        let mut kinds: Vec<Sign> = Vec::new();
        let mut spans: Vec<Range<usize>> = Vec::new();
        for i in found {
            let sign = PATTERNS[i].1;
            if !kinds.contains(&sign) {
                kinds.push(sign);
            }
            for c in self.regexes[i].captures_iter(text) {
                let Some(m) = c.get(1).or_else(|| c.get(0)) else { continue };
                let start = text[..m.start()].chars().count();
                spans.push(start..start + m.as_str().chars().count());
            }
        }
        if kinds.contains(&Sign::Alone) || kinds.len() >= 2 {
            spans
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doxx(text: &str) -> bool {
        !Pii::new().find(text).is_empty()
    }

    #[test]
    fn phone_numbers_block_alone() {
        for t in [
            "+7 916 482-13-07",
            "8(912)345-67-89",
            "nomer 89261234567",
            "(555) 312-8840",
            "+1 312 555 0198",
            "call 555-312-8840",
            "+44 20 7946 0958",
        ] {
            assert!(doxx(t), "{t}");
        }
    }

    #[test]
    fn ordinary_numbers_are_not_phone_numbers() {
        for t in [
            "нарисуй торт с цифрой 2025",
            "счёт 3:2 на 90-й минуте",
            "монитор 1920x1080 144 Гц",
            "арбуз 199 руб/кг, 500 ₽",
            "a price tag $19.99",
            "10 cats and 3 dogs",
            "годы 1941-1945",
            "танк Т-34",
            "draw 221B Baker Street",
            "10 Downing Street with the black door",
            "email me at cat@mail.com, draw a rainbow",
            "дом на улице Садовой с вишнёвым садом",
            "нарисуй дом на улице Ленина 5",
            "draw a mom who lives in a shoe",
        ] {
            assert!(!doxx(t), "{t}");
        }
    }

    #[test]
    fn two_signs_together_block() {
        for t in [
            "ул. Ленина 5 кв 12",
            "Казань, ул. Пушкина 14, кв. 37",
            "Jake Morrison lives at 1427 Elm Street, Dayton OH",
            "48 Oak Lane, Leeds LS6 2QR, where the mod lives",
            "she works at the Starbucks on 5th, go find her",
            "из 11Б, школа №43, вот её вк vk.com/vika",
            "ul Sovetskaya 22 kv 5 Tver",
            "паспорт серия 4512 номер 836194",
        ] {
            assert!(doxx(t), "{t}");
        }
    }
}
