//! Printing blocks of text (a task, a panic message, a hint) set off from the runner's own sentences.

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
