// End-to-end tests start the real exchanged binary; the harness lives beside the tests.
