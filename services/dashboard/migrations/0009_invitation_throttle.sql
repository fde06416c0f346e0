-- Choosing a password through an invitation (team/invitation-new-user.service.ts) is throttled per
-- network ('ip', as sign-in) and per invitation: a new scope keyed by the invitation id.
ALTER TABLE auth_throttle DROP CONSTRAINT auth_throttle_scope_check;
ALTER TABLE auth_throttle ADD CONSTRAINT auth_throttle_scope_check
  CHECK (scope IN ('account', 'ip', 'mail_address', 'mail_ip', 'invitation'));
