// Mocha root hooks: filled in by the test harness (database start and stop).
