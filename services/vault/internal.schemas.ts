// Shared pieces of the internal (mTLS, caller `api`) API's schemas: every call names the merchant
// account in the path and the mode it acts in, and the vault checks both against the data.
import { Type } from 'typebox';

export const ACCOUNT_ID_PATTERN = '^acct_(test_)?[0-9a-z]{19}$';
export const idOf = (prefix: string) => Type.String({ pattern: `^${prefix}_(test_)?[0-9a-z]{19}$` });

export const AccountParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN }) }, { additionalProperties: false });
export const ModeQuery = Type.Object({ livemode: Type.Boolean() }, { additionalProperties: false });
/** The callers of the vault's internal card API. */
export const API_CALLERS = ['api'] as const;
