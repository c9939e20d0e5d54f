-- Reserved for issue 5 (outbox, deliveries, verification codes); filled in by that work. Tern needs consecutive numbers.
SELECT 1; -- placeholder, replaced by that work
