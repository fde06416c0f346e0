// WebAuthn ceremonies (@simplewebauthn/server) for security keys and passkeys: registration, and
// authentication as a second factor, for step-up, or alone (a passkey: discoverable and
// user-verified, so usernameless sign-in). The relying party is the dashboard's public origin
// (settings.publicOrigin): its host is the RP ID, and responses from any other origin are refused.
// Challenges are single-use and expire (webauthn-challenges.store.ts); a signature counter that
// does not move forward is refused (a cloned authenticator).
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { CredentialRow, FactorStore, NewCredential } from './factors.store.ts';
import { challengeOf, type ChallengePurpose, type ChallengeStore, CHALLENGE_TTL_MS } from './webauthn-challenges.store.ts';

export type RelyingParty = { rpID: string; rpName: string; origin: string };

export function relyingPartyOf(publicOrigin: string): RelyingParty {
  const url = new URL(publicOrigin);
  return { rpID: url.hostname, rpName: 'Strongroom', origin: url.origin };
}

export type AuthPurpose = Exclude<ChallengePurpose, 'register'>;
export type Refusal = { ok: false; reason: 'challenge' | 'unknown_credential' | 'invalid_response' | 'counter' };
export type Registered = { ok: true; credential: NewCredential };
export type Authenticated = { ok: true; userId: string; credential: CredentialRow; newCounter: number; backedUp: boolean };

const CREDENTIAL_ID = /^[A-Za-z0-9_-]{16,1400}$/;
// EdDSA, ES256, RS256: what authenticators make (named, so the library does not probe for post-quantum ones).
const ALGORITHMS = [-8, -7, -257];
const userHandleOf = (userId: string) => Buffer.from(userId, 'utf8').toString('base64url');
// As bytes: a string challenge would be taken as UTF-8 text and encoded again.
const bytesOf = (challenge: string) => new Uint8Array(Buffer.from(challenge, 'base64url'));

export function createWebAuthn(deps: { factors: FactorStore; challenges: ChallengeStore; rp: RelyingParty; now?: () => Date }) {
  const { factors, challenges, rp } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    rp,

    async registrationOptions(user: { userId: string; email: string }, binding: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const existing = await factors.credentials(user.userId);
      const challenge = await challenges.issue({ purpose: 'register', userId: user.userId, binding });
      return generateRegistrationOptions({
        rpName: rp.rpName, rpID: rp.rpID, userName: user.email, userDisplayName: user.email,
        userID: new Uint8Array(Buffer.from(user.userId, 'utf8')), challenge: bytesOf(challenge), timeout: CHALLENGE_TTL_MS,
        attestationType: 'none', supportedAlgorithmIDs: ALGORITHMS,
        excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
        // A passkey where the authenticator can keep one; a plain security key otherwise.
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      });
    },

    async verifyRegistration(userId: string, binding: string, response: unknown, name: string): Promise<Registered | Refusal> {
      const challenge = challengeOf(response);
      const issued = await challenges.redeem(challenge, { purpose: 'register', binding });
      if (!issued || issued.userId !== userId) return { ok: false, reason: 'challenge' };
      try {
        const verified = await verifyRegistrationResponse({
          response: response as RegistrationResponseJSON, expectedChallenge: challenge!, expectedOrigin: rp.origin, expectedRPID: rp.rpID,
          // A security key without a PIN is still a fine second factor; passkey sign-in demands verification itself.
          requireUserVerification: false, supportedAlgorithmIDs: ALGORITHMS,
        });
        if (!verified.verified) return { ok: false, reason: 'invalid_response' };
        const info = verified.registrationInfo;
        if (!CREDENTIAL_ID.test(info.credential.id)) return { ok: false, reason: 'invalid_response' };
        return {
          ok: true,
          credential: {
            id: info.credential.id, user_id: userId, public_key: Buffer.from(info.credential.publicKey), counter: info.credential.counter,
            transports: (info.credential.transports ?? []).filter((t) => /^[a-z-]{1,20}$/.test(t)).slice(0, 8),
            device_type: info.credentialDeviceType, backed_up: info.credentialBackedUp, name,
          },
        };
      } catch {
        return { ok: false, reason: 'invalid_response' };
      }
    },

    /** Options for `purpose`: the user's own credentials, or (passkey sign-in, userId null) any discoverable one. */
    async authenticationOptions(purpose: AuthPurpose, userId: string | null, binding: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const allow = userId === null ? [] : (await factors.credentials(userId)).map((c) => ({ id: c.id, transports: c.transports }));
      const challenge = await challenges.issue({ purpose, userId, binding });
      return generateAuthenticationOptions({
        rpID: rp.rpID, challenge: bytesOf(challenge), timeout: CHALLENGE_TTL_MS, allowCredentials: allow,
        userVerification: purpose === 'passkey_sign_in' ? 'required' : 'preferred',
      });
    },

    /** Verifies an assertion and moves the credential's counter forward; `userId` null: whoever the passkey names. */
    async verifyAuthentication(purpose: AuthPurpose, userId: string | null, binding: string, response: unknown): Promise<Authenticated | Refusal> {
      const challenge = challengeOf(response);
      const issued = await challenges.redeem(challenge, { purpose, binding });
      if (!issued || issued.userId !== userId) return { ok: false, reason: 'challenge' };
      const id = (response as { id?: unknown } | null)?.id;
      const credential = typeof id === 'string' && CREDENTIAL_ID.test(id) ? await factors.credential(id) : undefined;
      if (!credential || (userId !== null && credential.user_id !== userId)) return { ok: false, reason: 'unknown_credential' };
      const passkey = purpose === 'passkey_sign_in';
      // Usernameless: the authenticator must name the same user the credential was registered to.
      if (passkey && (response as AuthenticationResponseJSON).response?.userHandle !== userHandleOf(credential.user_id)) {
        return { ok: false, reason: 'unknown_credential' };
      }
      let verified;
      try {
        verified = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON, expectedChallenge: challenge!, expectedOrigin: rp.origin, expectedRPID: rp.rpID,
          credential: { id: credential.id, publicKey: new Uint8Array(credential.public_key), counter: credential.counter, transports: credential.transports },
          requireUserVerification: passkey,
        });
      } catch (error) {
        return { ok: false, reason: /counter/i.test((error as Error).message) ? 'counter' : 'invalid_response' };
      }
      if (!verified.verified) return { ok: false, reason: 'invalid_response' };
      const info = verified.authenticationInfo;
      const moved = await factors.advanceCounter({
        id: credential.id, userId: credential.user_id, from: credential.counter, to: info.newCounter, backedUp: info.credentialBackedUp, at: now(),
      });
      if (!moved) return { ok: false, reason: 'counter' };
      return { ok: true, userId: credential.user_id, credential, newCounter: info.newCounter, backedUp: info.credentialBackedUp };
    },
  };
}
export type WebAuthn = ReturnType<typeof createWebAuthn>;
