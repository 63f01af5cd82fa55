//! Printing blocks of text (a task, a panic message, a hint) set off from the runner's own sentences, and
//! cutting a program's output down to its last lines.

/// Prints `text` indented by four spaces, leaving empty lines empty (no trailing spaces to copy along).
pub fn print_indented(text: &str) {
    for line in text.lines() {
        if line.trim().is_empty() {
            println!();
        } else {
            println!("    {line}");
        }
    }
}

/// The last `count` lines of `text`: where a program's output says why it stopped.
pub fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}
