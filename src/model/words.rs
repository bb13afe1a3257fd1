//! Counting in the words the reports and verdicts print. A count, the noun
//! it counts and every word that agrees with it come from here, so that no
//! phrase says "1 later boots" or "1 boot were".

/// `one` when `n` is 1, else `many`: the form of a word that agrees with
/// a count (`agreeing(n, "was", "were")`, `agreeing(n, "it", "them")`).
pub(crate) fn agreeing<'w>(n: impl Into<u64>, one: &'w str, many: &'w str) -> &'w str {
    match n.into() {
        1 => one,
        _ => many,
    }
}

/// `n` and `noun`, with the noun's plural (an `s`) when `n` is not 1:
/// `1 trusted record`, `2 trusted records`.
pub(crate) fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    format!("{n} {noun}{}", agreeing(n, "", "s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_and_its_words_agree() {
        assert_eq!(count(1u32, "later boot"), "1 later boot");
        assert_eq!(count(0u32, "byte"), "0 bytes");
        assert_eq!(count(2u64, "time"), "2 times");
        assert_eq!(agreeing(1u32, "was", "were"), "was");
        assert_eq!(agreeing(3u32, "was", "were"), "were");
    }
}
