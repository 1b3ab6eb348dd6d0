-- Channel statuses can arrive out of order (a delivery callback before the notifier recorded the API's
-- answer): a request's status only moves forward, by rank.
ALTER TABLE callout.requests ADD COLUMN status_rank int NOT NULL DEFAULT 0;
