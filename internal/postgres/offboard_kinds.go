package postgres

// Kinds of kommun data added by other features, registered here until
// their own store files do it (then this file's line goes): offboarding
// must export and delete every kommun table (TestOffboardCoversEveryKommunTable).
func init() {
	// P14: the kommun's reviews of samples of its access log.
	registerKommunData(KommunData{Kind: "access_log_review", Tables: []string{"access_log_sample_item", "access_log_sample"}})
}
