//! What a password must be: long enough, not absurdly long, printable, and hard to guess as
//! zxcvbn estimates it (dictionary words, keyboard walks, dates, the marketplace's own name, and
//! the account's email, name, company and credit code all count against it). Look-alike forms
//! (full-width letters and digits) are judged as the plain ones they stand for.

use unicode_normalization::UnicodeNormalization;

/// Words every guesser tries first on this site.
const SITE_WORDS: [&str; 3] = ["zhuchao", "筑巢", "zhuchao.demo"];

/// Fewest characters of a password.
pub const MIN_CHARS: usize = 10;
/// Most characters of a password (a passphrase fits; a megabyte of hashing input does not).
pub const MAX_CHARS: usize = 128;
/// The least zxcvbn score accepted (0–4): 3 means "safely unguessable" against an online attack
/// and a slowed-down offline one.
pub const MIN_SCORE: u8 = 3;

/// Why a password is refused, said so that a person can pick a better one.
pub fn check(password: &str, about_the_user: &[&str]) -> Result<(), String> {
    if password.chars().count() > MAX_CHARS {
        return Err(format!("a password has at most {MAX_CHARS} characters"));
    }
    // `ＰＡＳＳＷＯＲＤ１２３４５` is judged as `PASSWORD12345`.
    let folded: String = password.nfkc().collect();
    let password = folded.as_str();
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(format!("a password needs at least {MIN_CHARS} characters"));
    }
    if chars > MAX_CHARS {
        return Err(format!("a password has at most {MAX_CHARS} characters"));
    }
    if password
        .chars()
        .any(|c| c.is_control() || crate::text_limits::is_invisible(c) || is_direction(c))
    {
        return Err("a password cannot contain control or invisible characters".into());
    }
    if password.trim().is_empty() {
        return Err("a password cannot be only spaces".into());
    }
    // The user's own details and the site's name are what an attacker tries first, in any
    // spacing, case or punctuation: "Hangzhou Precision Gear" is "hangzhouprecisiongear".
    let squashed = squash(password);
    let email_local = about_the_user
        .iter()
        .filter_map(|t| t.split_once('@').map(|(local, _)| local));
    let own = about_the_user
        .iter()
        .copied()
        .chain(email_local)
        .chain(SITE_WORDS)
        .map(squash)
        .filter(|w| w.chars().count() >= 4);
    for word in own {
        let inside = squashed.contains(&word);
        let part_of = squashed.chars().count() >= 6 && word.contains(&squashed);
        if inside || part_of {
            return Err(
                "a password cannot contain your email, name, company or this site's name".into(),
            );
        }
    }
    let words: Vec<&str> = about_the_user
        .iter()
        .copied()
        .chain(SITE_WORDS)
        .chain(
            about_the_user
                .iter()
                .flat_map(|t| t.split(|c: char| !c.is_alphanumeric())),
        )
        .filter(|w| w.chars().count() >= 3)
        .collect();
    let estimate = zxcvbn::zxcvbn(password, &words);
    if (estimate.score() as u8) < MIN_SCORE {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning().map(|w| w.to_string()))
            .unwrap_or_else(|| "it would be guessed quickly".into());
        return Err(format!(
            "this password is too easy to guess ({hint}); a few unrelated words make a strong one"
        ));
    }
    Ok(())
}

/// A text as a guesser sees it: its plain form (NFKC), lower case, letters and digits only.
fn squash(text: &str) -> String {
    text.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Direction-changing characters: invisible when typed, so a password holding them cannot be
/// typed again on another device (zero-width ones are `text_limits::is_invisible`).
fn is_direction(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guessable_or_malformed_passwords_are_refused_with_a_reason() {
        for weak in [
            "12345678",
            "password",
            "password123",
            "        ",
            "          ",
            "\0\0\0\0\0\0\0\0\0\0",
            "qwertyuiop",
            "zhuchao-2026",
            "zhuchao-demo",
            "li.wei@example.com",
            "correct horse\u{AD}battery staple",
            "ＰＡＳＳＷＯＲＤ１２３４５",
            "Zhuchao Trading 2026",
            "Zhuchao-Demo-2026",
            "ZhuchaoTrading",
            "ＺｈｕｃｈａｏＴｒａｄｉｎｇ",
            "li.wei-2031!",
        ] {
            let refused = check(weak, &["li.wei@example.com", "李伟", "Zhuchao Trading"]);
            assert!(refused.is_err(), "{weak:?} was accepted");
        }
        assert!(check(&"x".repeat(200_000), &[])
            .unwrap_err()
            .contains("at most 128"));
        assert!(check("corr\u{202E}ect horse battery", &[])
            .unwrap_err()
            .contains("invisible"));
        assert!(check("12345678", &[]).unwrap_err().contains("at least 10"));
        assert!(check("qwertyuiop", &[])
            .unwrap_err()
            .contains("too easy to guess"));
    }

    #[test]
    fn strong_passwords_and_passphrases_are_accepted() {
        for strong in [
            "xinrui-2026!",
            "rules-2026!",
            "exit-2026!",
            "valves-2026!",
            "correct horse battery staple",
            "螺栓 轴承 法兰 仓库 2026",
            "Tr0ub4dor&3-Ningbo",
        ] {
            assert_eq!(check(strong, &["sales@example.com"]), Ok(()), "{strong:?}");
        }
    }
}
