//! Text helpers shared by every room: shortening what a program printed.

/// `text` cut to at most `max` bytes (at a character boundary), with `…`.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
