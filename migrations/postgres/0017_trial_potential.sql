-- What a trial would bring once it converts (ARR in minor units of the workspace currency), as
-- the billing vendor prices it; Convert falls back to it when the account has no open deal. Keep
-- in step with ../sqlite/0017_trial_potential.sql.
ALTER TABLE trials ADD COLUMN potential_minor BIGINT;
