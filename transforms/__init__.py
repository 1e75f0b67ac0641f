"""Stage 2, transform: normalise facts and key them (normalize), check their quotes
(evidence), diff a company's targets against its history (diff), compare company names across
reports (names).

May import: common. Never extractors, expectations, warehouse or carbonwatch."""
