-- Min profil and the youth's own data rights (P4, P12, P23, P24).

-- P23: a youth may read the access-log entries about their own username,
-- for the download of their data. Only entries made since the account was
-- created: a username freed by a deleted account and taken again later
-- must not show the earlier holder's log. Both subqueries are evaluated
-- once per query (initplans) and see only the youth's own account row.
CREATE POLICY access_log_read_youth ON app.access_log FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'youth'
           AND subject_username = (SELECT a.username FROM app.account a WHERE a.id = (SELECT app.ctx_account()))
           AND at >= (SELECT a.created_at FROM app.account a WHERE a.id = (SELECT app.ctx_account())));
