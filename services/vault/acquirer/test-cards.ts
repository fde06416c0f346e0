// Opn Payments (Omise) test cards and what the built-in test acquirer does with each. Data only.
// Source: docs/omise-compat.md section 10 (10.1 cards that succeed, 10.2 cards that fail, 10.3 codes,
// 10.4 3-D Secure failure cards), checked against docs.omise.co/api-testing. The one addition to 10.2 is
// UnionPay 6250 9470 0000 0030 (failed_processing), listed on docs.omise.co/ja/api-testing.
// Outcomes depend on the number only: any expiry date and any security code behave the same (10, 10.5).
import type { CardFailureCode } from './acquirer.ts';

/**
 * `approved`, a card failure code, or one of the two 3-D Secure failures, which both decline with
 * `payment_rejected`: `3ds_enrollment_failed` when authorization is attempted, `3ds_validation_failed`
 * when 3-D Secure completes (or at once when 3-D Secure was not asked for).
 */
export type TestCardOutcome = 'approved' | CardFailureCode | '3ds_enrollment_failed' | '3ds_validation_failed';

export type TestCard = { readonly number: string; readonly brand: string; readonly outcome: TestCardOutcome };

export const TEST_CARDS: readonly TestCard[] = [
  // 10.1 Cards that succeed.
  { number: '4242424242424242', brand: 'Visa', outcome: 'approved' },
  { number: '4111111111111111', brand: 'Visa', outcome: 'approved' },
  { number: '5555555555554444', brand: 'MasterCard', outcome: 'approved' },
  { number: '5454545454545454', brand: 'MasterCard', outcome: 'approved' },
  { number: '3530111333300000', brand: 'JCB', outcome: 'approved' },
  { number: '3566111111111113', brand: 'JCB', outcome: 'approved' },
  { number: '378282246310005', brand: 'American Express', outcome: 'approved' },
  { number: '6447032400000000001', brand: 'Discover', outcome: 'approved' },
  { number: '36021042000004', brand: 'Diners Club', outcome: 'approved' },
  { number: '6250947000000006', brand: 'UnionPay', outcome: 'approved' },

  // 10.2 Cards that fail.
  { number: '4111111111140011', brand: 'Visa', outcome: 'insufficient_fund' },
  { number: '5555551111110011', brand: 'MasterCard', outcome: 'insufficient_fund' },
  { number: '3530111111190011', brand: 'JCB', outcome: 'insufficient_fund' },
  { number: '6250947000000014', brand: 'UnionPay', outcome: 'insufficient_fund' },

  { number: '4111111111130012', brand: 'Visa', outcome: 'stolen_or_lost_card' },
  { number: '5555551111100012', brand: 'MasterCard', outcome: 'stolen_or_lost_card' },
  { number: '3530111111180012', brand: 'JCB', outcome: 'stolen_or_lost_card' },
  { number: '6250947000000022', brand: 'UnionPay', outcome: 'stolen_or_lost_card' },

  { number: '4111111111120013', brand: 'Visa', outcome: 'failed_processing' },
  { number: '5555551111190013', brand: 'MasterCard', outcome: 'failed_processing' },
  { number: '3530111111170013', brand: 'JCB', outcome: 'failed_processing' },
  { number: '377138160000009', brand: 'American Express', outcome: 'failed_processing' },
  { number: '6447032400001111005', brand: 'Discover', outcome: 'failed_processing' },
  { number: '36021042111108', brand: 'Diners Club', outcome: 'failed_processing' },
  { number: '6250947000000030', brand: 'UnionPay', outcome: 'failed_processing' },

  { number: '4111111111110014', brand: 'Visa', outcome: 'payment_rejected' },
  { number: '5555551111180014', brand: 'MasterCard', outcome: 'payment_rejected' },
  { number: '3530111111160014', brand: 'JCB', outcome: 'payment_rejected' },

  // Also answers security_code_check: false.
  { number: '4111111111160001', brand: 'Visa', outcome: 'invalid_security_code' },
  { number: '5555551111130001', brand: 'MasterCard', outcome: 'invalid_security_code' },
  { number: '3530111111110001', brand: 'JCB', outcome: 'invalid_security_code' },

  { number: '4111111111190016', brand: 'Visa', outcome: 'failed_fraud_check' },
  { number: '5555551111160016', brand: 'MasterCard', outcome: 'failed_fraud_check' },
  { number: '3530111111140016', brand: 'JCB', outcome: 'failed_fraud_check' },

  { number: '4111111111180017', brand: 'Visa', outcome: 'invalid_account_number' },
  { number: '5555551111150017', brand: 'MasterCard', outcome: 'invalid_account_number' },
  { number: '3530111111130017', brand: 'JCB', outcome: 'invalid_account_number' },

  // 10.4 3-D Secure failures (both payment_rejected).
  { number: '4111111111150002', brand: 'Visa', outcome: '3ds_enrollment_failed' },
  { number: '5555551111120002', brand: 'MasterCard', outcome: '3ds_enrollment_failed' },
  { number: '3530111111100002', brand: 'JCB', outcome: '3ds_enrollment_failed' },
  { number: '4111111111140003', brand: 'Visa', outcome: '3ds_validation_failed' },
  { number: '5555551111110003', brand: 'MasterCard', outcome: '3ds_validation_failed' },
  { number: '3530111111190003', brand: 'JCB', outcome: '3ds_validation_failed' },
];
