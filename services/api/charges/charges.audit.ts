// Audit actions of the charges and refunds capability. Entries name ids and amounts, never card data.
export const CHARGE_AUDIT = {
  /** The charge row exists, the vault is about to be asked. */
  requested: 'charge.request',
  /** The vault answered the authorization (success, or failure with the decline or refusal code). */
  created: 'charge.create',
  updated: 'charge.update',
  captured: 'charge.capture',
  reversed: 'charge.reverse',
  expired: 'charge.expire',
  refundRequested: 'refund.request',
  refunded: 'refund.create',
} as const;
