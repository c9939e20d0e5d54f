-- Reserved for issue 8 (retention jobs, access-log follow-up); filled in by that work. Tern needs consecutive numbers.
SELECT 1; -- placeholder, replaced by that work
