-- Run once per database by a superuser (deploy/postgres-init.sh, .ci/run, scripts/bench_data.py).
--
-- Row-level security evaluates a table's policy before any condition of the query whose function
-- is not LEAKPROOF, so such a condition cannot be answered by an index: the name search
-- (cases_person.search_key LIKE '%…%', its trigram index) read all 1,000,000 people instead, 2.3 s
-- instead of 1.5 ms. LIKE's function, textlike, can raise an error only about its pattern (a
-- pattern ending in the escape character), never about the row's value it is matched against,
-- and tsumugi's queries always give the pattern as a constant; declared LEAKPROOF, the planner
-- may use the index. `manage.py check --deploy` warns while it is not (tenancy.W003).
ALTER FUNCTION pg_catalog.textlike(text, text) LEAKPROOF;
