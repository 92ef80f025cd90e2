//! A line diff (longest common subsequence) of two texts, for the draft against the
//! active version. Definitions are small (their steps are capped), so the quadratic table
//! is a few thousand cells at most; past [`MAX_LINES`] lines the diff is skipped.

/// Longest texts diffed, in lines.
pub const MAX_LINES: usize = 600;

/// One line of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// In both.
    Same(String),
    /// Only in the new text.
    Added(String),
    /// Only in the old text.
    Removed(String),
}

/// The diff from `old` to `new`, or `None` when either is too long to diff.
pub fn lines(old: &str, new: &str) -> Option<Vec<Line>> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        return None;
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(Line::Same(a[i].to_string()));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(Line::Added(b[j].to_string()));
            j += 1;
        } else {
            out.push(Line::Removed(a[i].to_string()));
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_is_removed_then_added() {
        let d = lines("a\nb\nc", "a\nx\nc\nd").unwrap();
        assert_eq!(
            d,
            [
                Line::Same("a".into()),
                Line::Added("x".into()),
                Line::Removed("b".into()),
                Line::Same("c".into()),
                Line::Added("d".into())
            ]
        );
        assert!(lines("same", "same").unwrap().iter().all(|l| matches!(l, Line::Same(_))));
    }
}
