"""`make bench`: speed and memory of extraction, crawling and the nightly pipeline."""
