//! The room protocol (chapter 08), checked against this lesson's server: the very checks lesson 08's
//! server passes, unchanged. One thread or two per member, the room is the same room.
test_support::room_protocol_tests!(env!("CARGO_BIN_EXE_chat-server-loop"));
