//! The room protocol (chapter 08), checked against this lesson's server: the same checks run against
//! lessons 08, 09 and 10.
test_support::room_protocol_tests!(env!("CARGO_BIN_EXE_chat-server"));
