package audit

// Subjects of entries that concern no single user. A colon never occurs in
// a username (account.NormalizeUsername), so these can never show up in a
// youth's own view of the log.

// JobSubject is the subject of a job.run entry: the job's name.
func JobSubject(job string) string { return "job:" + job }

// SampleSubject is the subject of an access_log.sample entry: the month
// sampled, as YYYY-MM.
func SampleSubject(month string) string { return "stickprov:" + month }
