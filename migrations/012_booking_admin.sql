-- Reserved for issue work in progress; filled in by the feature that owns it.
SELECT 1;
