export const CUSTOMER_AUDIT = {
  created: 'customer.create',
} as const;
