"""Working a case in routing's database: one action per transaction (`work.CaseWork`), a case as
rows (`case_rows`), a received complaint becoming a case (`opening`, `imports`), terms kept with
cases (`deadline_terms`), what a reader sees (`case_resource`, `worklist`) and what intake is asked
for at the moment it is needed (`complaint_text`, `contact`)."""
