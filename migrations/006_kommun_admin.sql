-- Reserved for issue 4 (platform console, onboarding, suspend, offboard); filled in by that work. Tern needs consecutive numbers.
SELECT 1; -- placeholder, replaced by that work
