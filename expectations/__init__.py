"""Great Expectations suites (JSON files here) and the code that runs them."""
