-- The agenda reads the follow-ups a person promised by person first: with a year of promises
-- over a large archive, reading them by day alone scanned every promise of the year.
CREATE INDEX interactions_staff_follow_up ON interactions(staff_id, follow_up_on)
    WHERE follow_up_on IS NOT NULL;
