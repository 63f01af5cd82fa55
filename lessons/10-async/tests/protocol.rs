//! The room protocol (chapter 08), checked against this lesson's server: the very checks lessons 08 and
//! 09 pass, unchanged, on both of tokio's runtimes. Threads, a loop or tasks, the room is the same room.
test_support::room_protocol_tests!(env!("CARGO_BIN_EXE_chat-server-async"));

/// Every task on one thread, as lesson 09's loop.
mod current_thread {
    test_support::room_protocol_tests!(
        env!("CARGO_BIN_EXE_chat-server-async"),
        options = ["--runtime", "current-thread"]
    );
}

/// The tutorial-style asyncio room (python/asyncio_chat.py, run by its `#!/usr/bin/env python3` line):
/// the peer the benchmark compares with must be the same room.
mod python_asyncio {
    test_support::room_protocol_tests!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python/asyncio_chat.py"
    ));
}
