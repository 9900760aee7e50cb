//! JWT bearer grant tests (keys made with the openssl command line).
