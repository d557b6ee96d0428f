//! Doxxing: personal data that must never be shown on stream, found in the text as written (digits,
//! brackets and dashes matter here, so these patterns run on the original text, not on the letters).
//!
//! * **Alone**: a phone number (Russian `+7 916 482-13-07`, `8(912)345-67-89`, `89261234567`; North
//!   American `(555) 312-8840`, `+1 312 555 0198`; any `+CC` number of 7 digits or more); a passport
//!   ("серия 4512 номер 836194"), SNILS (`123-456-789 01`), INN, US SSN or a card number.
//! * **Together** (two different kinds of sign): a street address with a number ("ул. Ленина 5",
//!   "1427 Elm Street", and without the street word: "Ленина 8", "Profsoyuznaya 93"), a flat ("кв. 12",
//!   "apt 4"), an entrance or door code ("подъезд 3", "код домофона 41К"), a postcode ("LS6 2QR",
//!   "OH 45402"), a school and class ("школа №43", "из 11Б", "57 школа"), a profile link or e-mail, a
//!   whose-page ("адрес училки", "страницу вк моей бывшей", "my ex's address"), a workplace ("works
//!   at"), and a call to find, contact or shame someone ("go find her", "навестите её", "звоните ему",
//!   "напишите ей", "идите к нему", "пусть все знают"). One sign alone is ordinary: "221B Baker
//!   Street", "10 Downing Street", "email me at cat@mail.com", "дом на улице Садовой".
//! * **Weaker signs** count only with a sign other than "lives at" or "go get him" (words that fiction
//!   uses all the time): a person's full name written as a name ("Ольгу Седых", "Ирина Петровна", "Mark
//!   Hudson": a common first name and a capitalised second word) and a QR code. "Ольгу Седых, найдите
//!   её" blocks; "Иван Царевич живёт в сказке" and "draw John Wick, go get him" do not.
//!
//! Numbers that are not phone numbers stay allowed: years (1945, 2025), scores (3:2), prices (500 ₽,
//! $19.99), resolutions (1920x1080), counts ("10 cats").

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::ops::Range;

use regex::{Regex, RegexSet, RegexSetBuilder};

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
    /// An entrance, a floor code or an intercom code ("подъезд 3", "код домофона 41").
    Entrance,
    /// A whose-page or whose-address ("адрес училки", "страницу вк моей бывшей", "my ex's address").
    Whose,
    /// A full name written as a name (weak: see `find`).
    Name,
    /// A QR code (weak: it is a link, but one that is drawn).
    Qr,
    /// "Lives at", "where X lives", "go get him": words that point at a person but that stories use
    /// too; with a name or a QR code alone they are not enough.
    Vague,
}

impl Sign {
    /// Signs that block only together with one that is neither weak nor [`Sign::Vague`].
    fn weak(self) -> bool {
        matches!(self, Sign::Name | Sign::Qr)
    }
}

/// Common Russian first names (and their short forms), as written; their case forms are the stem with
/// one of `RU_ENDINGS` (see `name_forms`).
const RU_NAMES: &[&str] = &[
    "Анна",
    "Аня",
    "Ольга",
    "Оля",
    "Ирина",
    "Ира",
    "Елена",
    "Лена",
    "Наталья",
    "Наташа",
    "Татьяна",
    "Таня",
    "Светлана",
    "Света",
    "Юлия",
    "Юля",
    "Ксения",
    "Ксюша",
    "Дарья",
    "Даша",
    "Анастасия",
    "Настя",
    "Полина",
    "Виктория",
    "Вика",
    "Екатерина",
    "Катя",
    "Мария",
    "Маша",
    "Алина",
    "Алёна",
    "Алена",
    "Кристина",
    "Валерия",
    "Лера",
    "Людмила",
    "Люда",
    "Галина",
    "Галя",
    "Вера",
    "Надежда",
    "Надя",
    "Любовь",
    "Люба",
    "София",
    "Софья",
    "Соня",
    "Ева",
    "Елизавета",
    "Лиза",
    "Арина",
    "Ульяна",
    "Варвара",
    "Варя",
    "Валентина",
    "Валя",
    "Марина",
    "Оксана",
    "Яна",
    "Евгения",
    "Женя",
    "Алиса",
    "Диана",
    "Карина",
    "Милана",
    "Вероника",
    "Тамара",
    "Зоя",
    "Маргарита",
    "Рита",
    "Лариса",
    "Нина",
    "Инна",
    "Алла",
    "Жанна",
    "Ангелина",
    "Олеся",
    "Александр",
    "Саша",
    "Алексей",
    "Лёша",
    "Леша",
    "Андрей",
    "Дмитрий",
    "Дима",
    "Сергей",
    "Серёжа",
    "Сережа",
    "Иван",
    "Ваня",
    "Никита",
    "Артём",
    "Артем",
    "Тёма",
    "Максим",
    "Макс",
    "Денис",
    "Кирилл",
    "Михаил",
    "Миша",
    "Павел",
    "Павл",
    "Паша",
    "Пётр",
    "Петр",
    "Петя",
    "Игорь",
    "Олег",
    "Антон",
    "Егор",
    "Илья",
    "Роман",
    "Рома",
    "Юрий",
    "Юра",
    "Николай",
    "Коля",
    "Константин",
    "Костя",
    "Евгений",
    "Владимир",
    "Вова",
    "Володя",
    "Влад",
    "Владислав",
    "Вадим",
    "Тимур",
    "Тимофей",
    "Глеб",
    "Ярослав",
    "Станислав",
    "Стас",
    "Виктор",
    "Витя",
    "Виталий",
    "Руслан",
    "Георгий",
    "Гоша",
    "Валерий",
    "Семён",
    "Семен",
    "Фёдор",
    "Федор",
    "Федя",
    "Степан",
    "Данил",
    "Даниил",
    "Данила",
    "Матвей",
    "Арсений",
    "Богдан",
    "Василий",
    "Вася",
    "Анатолий",
    "Толя",
    "Леонид",
    "Лёня",
    "Борис",
    "Боря",
    "Григорий",
    "Гриша",
    "Геннадий",
    "Гена",
    "Слава",
    "Вячеслав",
];

/// Common English first names (not those that are also common words: Grace, Hope, Will, Bill…).
const EN_NAMES: &[&str] = &[
    "James",
    "John",
    "Robert",
    "Michael",
    "Mike",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Tom",
    "Charles",
    "Christopher",
    "Chris",
    "Daniel",
    "Dan",
    "Matthew",
    "Matt",
    "Anthony",
    "Tony",
    "Mark",
    "Steven",
    "Steve",
    "Paul",
    "Andrew",
    "Andy",
    "Joshua",
    "Josh",
    "Kevin",
    "Brian",
    "Timothy",
    "Tim",
    "Edward",
    "Jason",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Jake",
    "Nicholas",
    "Nick",
    "Eric",
    "Jonathan",
    "Stephen",
    "Justin",
    "Scott",
    "Brandon",
    "Benjamin",
    "Ben",
    "Samuel",
    "Sam",
    "Gregory",
    "Greg",
    "Alexander",
    "Alex",
    "Patrick",
    "Jack",
    "Dennis",
    "Tyler",
    "Aaron",
    "Adam",
    "Nathan",
    "Henry",
    "Zachary",
    "Zach",
    "Peter",
    "Kyle",
    "Ethan",
    "Noah",
    "Jeremy",
    "Keith",
    "Sean",
    "Austin",
    "Dylan",
    "Jordan",
    "Bryan",
    "Logan",
    "Jesse",
    "Derek",
    "Travis",
    "Trevor",
    "Connor",
    "Cody",
    "Chad",
    "Brad",
    "Liam",
    "Owen",
    "Luke",
    "Mason",
    "Aiden",
    "Jessica",
    "Jess",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Sandra",
    "Ashley",
    "Kimberly",
    "Kim",
    "Emily",
    "Donna",
    "Michelle",
    "Amanda",
    "Melissa",
    "Stephanie",
    "Rebecca",
    "Becky",
    "Laura",
    "Amy",
    "Angela",
    "Anna",
    "Brenda",
    "Emma",
    "Nicole",
    "Samantha",
    "Katherine",
    "Kate",
    "Katie",
    "Rachel",
    "Megan",
    "Hannah",
    "Olivia",
    "Victoria",
    "Kelly",
    "Lauren",
    "Christina",
    "Madison",
    "Abigail",
    "Sophia",
    "Sophie",
    "Natalie",
    "Brittany",
    "Chloe",
    "Mia",
    "Ava",
    "Ella",
    "Lily",
    "Zoe",
    "Lucy",
    "Jenny",
    "Jennifer",
    "Jen",
    "Heather",
    "Tiffany",
    "Kayla",
    "Alexis",
    "Taylor",
    "Madeline",
    "Isabella",
    "Emilie",
    "Stacy",
    "Tracy",
];

/// The forms of the first names (a fast hash: the set is a fixed list).
type Names = HashSet<String, BuildHasherDefault<crate::translit::Fx>>;

/// The case endings of Russian first names after their stem ("Ольг-у", "Вов-ой", "Дениса", "Алексе-я").
const RU_ENDINGS: &[&str] = &["а", "я", "у", "ю", "ы", "и", "е", "ой", "ей", "ою", "ею", "ом", "ем", "ью", "й", "ь"];

/// Every form of the first names in `RU_NAMES` and `EN_NAMES`, as written (capitalised).
fn name_forms() -> Names {
    let mut forms: Names = EN_NAMES.iter().map(|n| n.to_string()).collect();
    for name in RU_NAMES {
        forms.insert(name.to_string());
        let stem: String = match name.chars().last() {
            Some('а' | 'я' | 'й' | 'ь') => name.chars().take(name.chars().count() - 1).collect(),
            _ => name.to_string(),
        };
        for ending in RU_ENDINGS {
            forms.insert(format!("{stem}{ending}"));
        }
    }
    forms
}

/// The char ranges of full names in `text`: a first name from the lists, then (after spaces only) a
/// capitalised word of three letters or more ("Ольгу Седых", "Ирина Петровна", "Mark Hudson").
fn names(text: &str, forms: &Names) -> Vec<Range<usize>> {
    let chars: Vec<char> = text.chars().collect();
    // Letters, and a hyphen between letters ("Римский-Корсаков").
    let in_word = |k: usize| {
        is_letter(chars[k])
            || (chars[k] == '-' && k > 0 && is_letter(chars[k - 1]) && chars.get(k + 1).is_some_and(|&c| is_letter(c)))
    };
    let mut words: Vec<Range<usize>> = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if is_letter(chars[k]) {
            let start = k;
            while k < chars.len() && in_word(k) {
                k += 1;
            }
            words.push(start..k);
        } else {
            k += 1;
        }
    }
    let capitalised = |r: &Range<usize>| {
        r.len() >= 3 && is_capital(chars[r.start]) && chars[r.start + 1..r.end].iter().all(|&c| !is_capital(c))
    };
    let mut found = Vec::new();
    for pair in words.windows(2) {
        let (first, second) = (&pair[0], &pair[1]);
        let between = &chars[first.end..second.start];
        if !between.is_empty()
            && between.iter().all(|c| c.is_whitespace())
            && capitalised(second)
            && forms.contains(&chars[first.clone()].iter().collect::<String>())
        {
            found.push(first.start..second.end);
        }
    }
    found
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
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:ул|улиц[аеуы]|пр-?т|просп|проспект[аеу]?|пер|переул(?:ок|ке|ка)|шоссе|б-р|бульвар[аеу]?|наб|набережн[a-zA-Zа-яА-ЯёЁ]*|мкр|микрорайон[аеу]?|ul|ulitsa|ulica|ulitsy|prospekt|pereulok|naberezhnaya)(?:\.\s*|\s+)(?:[a-zA-Zа-яА-ЯёЁ']+[\s\-]*){1,3}[\s,.]*(?:д\.?|дом|d\.?|dom)?\s*[0-9]+)",
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
    // a car's number plate ("plate ABX-4472", "госномер А123ВС")
    (
        r"(?i)((?:plate|license plate|licence plate|reg|registration|госномер|номер машины|номера машины|nomer mashiny)[\s:#№]*[A-ZА-Я]{1,3}[\s-]?[0-9]{3,4}(?:[\s-]?[A-ZА-Я]{0,2})?)",
        Sign::Profile,
    ),
    // a VK page by its number ("вк id482913377")
    (r"(?i)((?:вк|vk|вконтакте|vkontakte)[\s:]*(?:id|айди)\s*[0-9]{5,})", Sign::Link),
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
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:works?|working|worked) (?:at|in)|(?:accountant|manager|cashier|barista|nurse|clerk|waitress|waiter|employee|intern|developer|receptionist|secretary|engineer) at|работа(?:ет|ют) (?:в|на)|учится (?:в|на)|rabotaet (?:v|na))(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::Workplace,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])(her address|his address|their address|home address|адрес (?:его|е[её]|их)|(?:его|е[её]|их) (?:адрес|номер|телефон|вк|вконтакте|инст[a-zA-Zа-яА-ЯёЁ]*|тг|телег[a-zA-Zа-яА-ЯёЁ]*|страниц[a-zA-Zа-яА-ЯёЁ]*|профил[a-zA-Zа-яА-ЯёЁ]*)|(?:go |come |let'?s )?(?:find|visit|dox+|swat|hunt down|track down|pay a visit to) (?:him|her|them|this (?:guy|girl|dude|kid|person))|go say hi|so we can (?:visit|find|see)|(?:call|text|spam|message|dm|harass) (?:him|her|them)|навест[a-zA-Zа-яА-ЯёЁ]+|приходите|приходи к|найдите|найди (?:его|е[её]|их)|вычисл[a-zA-Zа-яА-ЯёЁ]+|деанон[a-zA-Zа-яА-ЯёЁ]*|звоните|звони (?:ему|ей)|пишите (?:ему|ей)|пусть (?:ей|ему|им) (?:все )?(?:пишут|звонят)|prihodite|naidite|najdite|navestite|zvonite|pishite|(?:let'?s |go )?(?:ddos|dox+|swat|raid|harass|spam) (?:him|her|them)|(?:ring|call|text) (?:him|her|them)|pay (?:him|her|them) a visit|(?:map|directions|route) to|карт[а-я]* до (?:дома|квартиры|подъезда)|разбейте|разбей|побейте|набейте|отпиздите|вломите|затрав[а-я]+|травите|давайте (?:его|е[её]|их)|напиши(?:те)? (?:ей|ему|им)|napishite (?:ey|ej|emu|im)|(?:идите|иди|сходите|сходи|зайдите|зайди|заходите|приходите|наведайтесь|езжайте|едьте|поезжайте|idite|shodite|hodite|hodi|zaydite|zajdite|zahodite|prihodite)\s+(?:к|k)\s+(?:нему|ней|ним|nemu|ney|nej|nim)|пусть (?:все|весь чат|чат|вся школа|весь класс|все вокруг|все его|все её|все ее) (?:знают|узнают|видят|увидят|пишут|звонят|приходят|придут)|pust vse (?:znayut|znajut|pishut|zvonyat|pridut|prihodyat)|pin (?:it )?on the map|расскажите всем|(?:о|за)?позорьте|опозорим|заспамьте|let (?:everyone|everybody|the whole school|chat|the world) know|expose (?:him|her|them)|tell (?:chat|everyone|everybody) to|(?:chat|everyone|y'?all) (?:can|should|go) (?:visit|find|text|call|message|dm|harass|raid)|so (?:chat|everyone|you guys|y'?all) can (?:visit|find|see|text|call|message)|make (?:him|her|them) famous|go tell (?:him|her|them)|(?:everyone|everybody|chat|y'?all|you guys) (?:email|e-mail|call|text|message|dm|report|contact|spam|write to) (?:him|her|them|his|her|their)|show up at (?:his|her|their) (?:house|door|place|home|work|school)|найд[её]м (?:его|е[её]|их)|(?:chat|guys|y'?all|everyone|you guys),? (?:u|you) know what to do|(?:meet up|wait|show up|go) at (?:his|her|their) (?:job|work|school|house|place)|so (?:we|everyone|chat|you guys) (?:can )?(?:recogni[sz]e|spot|find) (?:her|him|them)|(?:everyone|everybody|chat|y'?all|you guys) (?:order|send|deliver) .{0,30}? to (?:this|that|his|her|their) (?:addy|address|house|place|door))(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::Call,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])(lives? (?:at|on|in|near)|living (?:at|on)|where (?:[a-zA-Zа-яА-ЯёЁ]+ ){0,2}lives?|жив[её]т|живут|прожива[a-zA-Zа-яА-ЯёЁ]+|zhiv[eyo]t|zhivut|where .{1,40} lives?|(?:go |come |let'?s )?get (?:him|her|them))(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::Vague,
    ),
    // --- round 11: addresses without a street word, entrances, whose-pages, QR codes, "57 школа" ---
    (
        r"(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])([А-ЯЁ][а-яё]{2,}(?:ина|ына|ова|ёва|ева|ого|его|ая|яя)[\s,]+(?:д\.?\s*|дом\s+)?[0-9]{1,3}[а-я]?(?:/[0-9]{1,3})?)(?:[^0-9a-zA-Zа-яА-ЯёЁ]|$)",
        Sign::Address,
    ),
    (
        r"(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])([A-Z][a-z]{2,}(?:aya|aja|ova|eva|ina|yna|ogo|ego)[\s,]+(?:d\.?\s*|dom\s+)?[0-9]{1,3}[a-z]?(?:/[0-9]{1,3})?)(?:[^0-9a-zA-Zа-яА-ЯёЁ]|$)",
        Sign::Address,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:подъезд|подьезд|под'езд|podezd|podjezd|pod'ezd)[а-яa-z]*\.?\s*(?:№\s*)?[0-9]{1,2}|[0-9]{1,2}(?:-?(?:й|ий|ой))?\s+(?:подъезд|подьезд|podezd|podjezd)[а-яa-z]*|(?:код (?:домофона|подъезда|двери)|домофон[а-я]*|kod domofona|domofon|intercom code|door code|gate code)\s*:?\s*[0-9][0-9a-zа-я#*]*)",
        Sign::Entrance,
    ),
    (
        r"(?i)((?:адрес[а-я]*|номер[а-я]*|телефон[а-я]*|страниц[а-я]*|профил[а-я]*|аккаунт[а-я]*|акк|инст[а-я]*|adres[a-z]*|nomer[a-z]*|telefon[a-z]*|stranic[a-z]*|address|number|phone|page|profile|account|insta|instagram|ig)(?:\s+(?:в|на|v|na|in|on|of))?(?:\s+(?:вк|vk|инсте|инстаграме|тг|телеге|insta|ig|facebook|fb|tiktok|тиктоке))?\s+(?:(?:мо(?:ей|его|их)|нашей|нашего|этой|этого|moej|moey|moego|my|our|this|that)\s+)?(?:соседа|соседки|соседей|училки|учителя|учительницы|классухи|бывшей|бывшего|одноклассни[а-я]+|однокурсни[а-я]+|начальни[а-я]+|коллеги|стримерши|стримера|модера|модератора|sos[ea]da|sosedki|uchilki|uchitelya|byvshey|byvshej|byvshego|odnoklassni[a-z]+|neighbou?r|teacher|ex|ex-girlfriend|ex-boyfriend|boss|coworker|classmate|landlord|streamer|mod)(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$))",
        Sign::Whose,
    ),
    (
        r"(?i)((?:my|his|her|our) ex'?s (?:address|number|phone|house|home|insta|instagram|snap|snapchat|page|profile))",
        Sign::Whose,
    ),
    (r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])(qr[\s-]*(?:код|code|kod)|кьюар[\s-]*код)", Sign::Qr),
    (
        r"(?i)(?:^|[^0-9])([0-9]{1,3}(?:-?(?:я|й|ая|ой))?\s+(?:школ[а-я]*|shkol[a-z]*|лице[а-я]*|гимнази[а-я]*))",
        Sign::School,
    ),
    // --- round 16: the street word after its name ("Красный проспект 82", "Lenina ulitsa 5") ---
    (
        r"(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])([А-ЯЁ][а-яё]+(?:ый|ий|ой|ая|ое|ского|ина|ова)\s+(?:проспект|улица|переулок|бульвар|шоссе|проезд|набережная)[\s,]+(?:д\.?\s*|дом\s+)?[0-9]{1,3}[а-я]?)(?:[^0-9a-zA-Zа-яА-ЯёЁ]|$)",
        Sign::Address,
    ),
    (
        r"(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])([A-Z][a-z]+(?:y|iy|yy|ij|aya|oy|ogo)\s+(?:prospekt|ulitsa|ulica|pereulok|bulvar|shosse|proezd)[\s,]+(?:d\.?\s*|dom\s+)?[0-9]{1,3}[a-z]?)(?:[^0-9a-zA-Zа-яА-ЯёЁ]|$)",
        Sign::Address,
    ),
    // a housing estate and its block ("ЖК «Солнечный», корпус 2")
    (
        r"(?i)((?:ЖК|жилой комплекс|zhk)\s*[«\x22]?[^»\x22,]{2,30}[»\x22]?[\s,]+(?:корпус|корп\.?|korpus|строение|стр\.?)\s*[0-9]+)",
        Sign::Address,
    ),
    // --- round 12: a house-flat number after a street name ("Ленинский 118-54"), a school's number
    // without "№" ("shkola 112"), a class with its word ("8V klass") ---
    (
        r"(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:[А-ЯЁ][а-яё]{2,}|[A-Z][a-z]{2,}(?:skiy|skij|sky|skaya|aya|oy|iy|yy|ova|eva|ina|ogo))[\s,]+(?:д\.?\s*|дом\s+|d\.?\s*|dom\s+)?(?:[0-9]{2,3}[а-яa-z]?-[0-9]{1,4}|[0-9][а-яa-z]?-[0-9]{2,4}))(?:[^0-9a-zA-Zа-яА-ЯёЁ]|$)",
        Sign::Address,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])((?:школ[а-я]*|shkol[a-z]*|лице[йяе]|licej|litsey|гимнази[яи]|gimnazi[a-z]*)\s+[0-9]{1,4})(?:[^0-9]|$)",
        Sign::School,
    ),
    (
        r"(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ0-9_])([0-9]{1,2}\s?-?[абвгдеabvgd]\s+(?:класс[а-я]*|klass[a-z]*|class))(?:[^a-zA-Zа-яА-ЯёЁ0-9_]|$)",
        Sign::School,
    ),
];

/// Letters typed for digits inside a number ("+7 9O3 555 12 34": a letter O): each ASCII `O`/`o`
/// becomes `0` and `l`/`I` becomes `1` where a digit stands on one side and a digit or a separator on
/// the other, and no letter touches it. The same length, so the spans found stay the text's own.
fn digit_lookalikes(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let digit = |i: Option<usize>| i.and_then(|i| b.get(i)).is_some_and(u8::is_ascii_digit);
    let sep = |i: Option<usize>| i.and_then(|i| b.get(i)).is_none_or(|c| matches!(c, b' ' | b'-' | b'.' | b')' | b'('));
    let fixes: Vec<(usize, u8)> = (0..b.len())
        .filter_map(|i| {
            let to = match b[i] {
                b'O' | b'o' => b'0',
                b'l' | b'I' => b'1',
                _ => return None,
            };
            let (before, after) = (i.checked_sub(1), Some(i + 1));
            let fits = (digit(before) && (digit(after) || sep(after))) || (digit(after) && sep(before));
            fits.then_some((i, to))
        })
        .collect();
    if fixes.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = b.to_vec();
    for (i, to) in fixes {
        out[i] = to;
    }
    // ASCII letters replaced by ASCII digits: still UTF-8.
    std::borrow::Cow::Owned(String::from_utf8(out).expect("ASCII for ASCII"))
}

/// The fewest digits of a phone or document number (a seven-digit local number; the patterns need more).
const MIN_DIGITS_ALONE: usize = 7;

/// Words of the signs that need no digit, `@` or `/` (a workplace, a school, a profile, a whose-page, a
/// QR code): a text with none of these, no digit, `@` or `/`, and no two capitalised words in a row (a
/// name) has no doxxing sign.
const WORDLY_SIGNS: &str = "(?i)work|job|accountant|manager|cashier|barista|nurse|clerk|waitress|waiter|employee|intern|developer|receptionist|secretary|engineer|plate|госномер|номер машины|работа|учится|rabotaet|school|high|snap|insta|инст|вк|тг|телег|страниц|профил|tiktok|discord|twitter|facebook|адрес|address|номер|телефон|аккаунт|акк|adres|nomer|telefon|stranic|number|phone|page|profile|account|qr|кьюар";

/// Addresses everyone knows from books, films and the news: never a sign ("draw Sherlock at 221B
/// Baker Street").
const FAMOUS_ADDRESSES: &[&str] = &[
    "221b baker street",
    "221 b baker street",
    "4 privet drive",
    "742 evergreen terrace",
    "10 downing street",
    "1600 pennsylvania avenue",
    "1600 pennsylvania ave",
    "12 grimmauld place",
    "124 conch street",
    "31 spooner street",
    "308 negra arroyo lane",
    "177a bleecker street",
    "1640 riverside drive",
    "бейкер-стрит 221б",
    "бейкер стрит 221б",
    "садовая 10", // Bulgakov's flat 50, the museum
];

/// Whether `s` names one of the [`FAMOUS_ADDRESSES`].
fn is_famous(s: &str) -> bool {
    let s = s.to_lowercase();
    FAMOUS_ADDRESSES.iter().any(|f| s.contains(f))
}

/// `char::is_alphabetic`, answered without a table lookup for Latin and Cyrillic.
fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{0400}'..='\u{04FF}').contains(&c) || (!c.is_ascii() && c.is_alphabetic())
}

/// `char::is_uppercase`, answered without a table lookup for Latin and Cyrillic.
fn is_capital(c: char) -> bool {
    c.is_ascii_uppercase()
        || ('\u{0400}'..='\u{042F}').contains(&c)
        || (!c.is_ascii() && !('\u{0430}'..='\u{04FF}').contains(&c) && c.is_uppercase())
}

/// Whether two words in a row start with a capital letter ("Ольгу Седых", "Mark Hudson").
fn has_capitalised_pair(text: &str) -> bool {
    let mut previous = false;
    for word in text.split_whitespace() {
        let mut chars = word.chars();
        let capital = chars.next().is_some_and(is_capital);
        if capital && previous {
            return true;
        }
        previous = capital && chars.all(is_letter);
    }
    false
}

/// The compiled doxxing patterns: the signs (those that need a digit, `@` or `/`, and those that are
/// words), the calls to find or contact someone (run only when a sign was found), and the first names.
#[derive(Debug)]
pub(crate) struct Pii {
    /// Phone and document numbers: they need seven digits or more.
    long: RegexSet,
    numeric: RegexSet,
    wordy: RegexSet,
    calls: RegexSet,
    wordly: Regex,
    /// Indices into `PATTERNS` of the members of `long`, `numeric`, `wordy` and `calls`.
    long_of: Vec<usize>,
    numeric_of: Vec<usize>,
    wordy_of: Vec<usize>,
    call_of: Vec<usize>,
    regexes: Vec<Regex>,
    names: Names,
}

impl Pii {
    pub(crate) fn new() -> Pii {
        let (call_of, signs): (Vec<usize>, Vec<usize>) =
            (0..PATTERNS.len()).partition(|&i| matches!(PATTERNS[i].1, Sign::Call | Sign::Vague));
        // A sign whose pattern has a digit, `@` or `/` needs one in the text.
        let (numeric_of, wordy_of): (Vec<usize>, Vec<usize>) =
            signs.into_iter().partition(|&i| PATTERNS[i].0.contains("[0-9]") || PATTERNS[i].0.contains(['@', '/']));
        let (long_of, numeric_of): (Vec<usize>, Vec<usize>) =
            numeric_of.into_iter().partition(|&i| PATTERNS[i].1 == Sign::Alone);
        // 16 MiB of lazy DFA per set, as for the word lists: with the default 2 MiB, never-seen texts
        // kept clearing the cache.
        let set = |members: &[usize]| {
            RegexSetBuilder::new(members.iter().map(|&i| PATTERNS[i].0))
                .dfa_size_limit(16 << 20)
                .build()
                .expect("the doxxing patterns compile")
        };
        Pii {
            long: set(&long_of),
            numeric: set(&numeric_of),
            wordy: set(&wordy_of),
            wordly: Regex::new(WORDLY_SIGNS).expect("the sign words compile"),
            calls: set(&call_of),
            regexes: PATTERNS.iter().map(|(p, _)| Regex::new(p).expect("a doxxing pattern compiles")).collect(),
            names: name_forms(),
            long_of,
            numeric_of,
            wordy_of,
            call_of,
        }
    }

    /// The char ranges of `text` that are doxxing: every sign when one of them stands alone or when
    /// two different kinds of sign are present (a weak sign needs one that is neither weak nor vague);
    /// nothing otherwise.
    pub(crate) fn find(&self, text: &str) -> Vec<Range<usize>> {
        let text = &*digit_lookalikes(text);
        let digits = text.bytes().filter(u8::is_ascii_digit).count();
        let numeric = digits > 0 || text.bytes().any(|b| b == b'@' || b == b'/');
        let wordy = self.wordly.is_match(text);
        let names = if has_capitalised_pair(text) { names(text, &self.names) } else { Vec::new() };
        if !numeric && !wordy && names.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<usize> = Vec::new();
        // The digit patterns also ran on wordy texts before they had their own set ("her school in
        // Dayton OH").
        if digits >= MIN_DIGITS_ALONE {
            found.extend(self.long.matches(text).iter().map(|i| self.long_of[i]));
        }
        if numeric || wordy {
            found.extend(self.numeric.matches(text).iter().map(|i| self.numeric_of[i]));
        }
        if wordy {
            found.extend(self.wordy.matches(text).iter().map(|i| self.wordy_of[i]));
        }
        if found.is_empty() && names.is_empty() {
            return Vec::new();
        }
        found.extend(self.calls.matches(text).iter().map(|i| self.call_of[i]));
        // Where each pattern matched (only the pattern's own regex knows); a famous address is no sign.
        let spans_of = |i: usize| -> Vec<Range<usize>> {
            self.regexes[i]
                .captures_iter(text)
                .filter_map(|c| c.get(1).or_else(|| c.get(0)))
                .filter(|m| PATTERNS[i].1 != Sign::Address || !is_famous(m.as_str()))
                .map(|m| {
                    let start = text[..m.start()].chars().count();
                    start..start + m.as_str().chars().count()
                })
                .collect()
        };
        let mut kinds: Vec<Sign> = Vec::new();
        if !names.is_empty() {
            kinds.push(Sign::Name);
        }
        // A flat next to a famous address is that address's flat ("Садовая 10, кв. 50").
        let famous = found.iter().any(|&i| PATTERNS[i].1 == Sign::Flat) && is_famous(text);
        for &i in &found {
            let sign = PATTERNS[i].1;
            if famous && sign == Sign::Flat {
                continue;
            }
            if !kinds.contains(&sign) && (sign != Sign::Address || !spans_of(i).is_empty()) {
                kinds.push(sign);
            }
        }
        let strong: Vec<Sign> = kinds.iter().copied().filter(|k| !k.weak()).collect();
        let weak = strong.len() < kinds.len();
        if !(kinds.contains(&Sign::Alone) || strong.len() >= 2 || (weak && strong.iter().any(|&k| k != Sign::Vague))) {
            return Vec::new();
        }
        // Doxxing: every sign is starred.
        let mut spans = names;
        for i in found {
            spans.extend(spans_of(i));
        }
        spans
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
    fn letters_typed_for_digits_inside_a_number_are_read_as_digits() {
        for t in ["+7 9O3 555 12 34", "8 (9l6) 482-13-O7", "call 555-3I2-884O"] {
            assert!(doxx(t), "{t}");
        }
        // Only between digits and separators: words keep their letters, spans stay the text's own.
        assert_eq!(digit_lookalikes("CO2 and O2 arena, Olga 1O0"), "CO2 and 02 arena, Olga 100");
        assert!(!doxx("O2 arena concert at night"));
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
            "адрес училки: Ленина 8, подъезд 3, кв 41",
            "narisuy adres soseda: Profsoyuznaya 93, idite k nemu",
            "Mark Hudson, 27 Birch Lane, go get him",
        ] {
            assert!(doxx(t), "{t}");
        }
    }

    #[test]
    fn a_name_or_a_qr_code_needs_a_sign_that_is_not_vague() {
        for t in [
            "нарисуй тётку Ольгу Седых, найдите её и напишите ей",
            "нарисуй Вову Белова из 9Б",
            "draw Jessica Turner from Columbus, go find her",
            "QR-код на страницу вк моей бывшей",
        ] {
            assert!(doxx(t), "{t}");
        }
        for t in [
            "нарисуй Ивана Царевича, который живёт в сказке",
            "draw John Wick, go get him",
            "draw Emma Stone on a red carpet",
            "нарисуй QR-код на мой канал, кот живёт в коробке",
            "draw Sherlock Holmes who lives at 221B Baker Street",
            "draw John Watson at 221B Baker Street",
        ] {
            assert!(!doxx(t), "{t}");
        }
    }
}
