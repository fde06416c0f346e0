// Audit actions of the profile page's changes (actor: the user, in their session; tenant: the
// session's account). Failures (wrong current password, throttled) are recorded too.
export const PROFILE_AUDIT = {
  passwordChange: 'user.password_change',
  emailChangeRequest: 'user.email_change_request',
  emailChange: 'user.email_change',
} as const;
