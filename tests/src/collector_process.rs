//! The collector binary as a child process (filled in with the end-to-end suite).
