// The chain rule, pure: each entry of a stream gets the next sequence number and
// hash = SHA-256(prev_hash || canonical(entry)); the first entry's prev_hash is 32 zero bytes.
// The sequence number is not hashed: order is carried by the prev_hash links, which lets
// verify tell a reordering from an edit.
import { createHash } from 'node:crypto';
import { canonicalBytes } from './canonical.ts';

export const HASH_BYTES = 32;
export const GENESIS_HASH: Readonly<Buffer> = Buffer.alloc(HASH_BYTES);

/** Stream of entries with no tenant (platform events). Tenant ids cannot start with `_`, so it cannot collide. */
export const PLATFORM_STREAM = '_platform';

/** One chain per tenant, so tenants are chained in parallel. */
export function streamFor(tenant: string | null): string {
  return tenant ?? PLATFORM_STREAM;
}

export type ChainHead = { seq: number; hash: Uint8Array };
export type ChainLink = { seq: number; prevHash: Buffer; hash: Buffer };

export function entryHash(prevHash: Uint8Array, entry: unknown): Buffer {
  if (prevHash.length !== HASH_BYTES) throw new Error('audit chain: prev_hash must be 32 bytes');
  return createHash('sha256').update(prevHash).update(canonicalBytes(entry)).digest();
}

/** Links `entries` after `head` (undefined for an empty stream), in the order given. */
export function extendChain(head: ChainHead | undefined, entries: readonly unknown[]): ChainLink[] {
  let seq = head?.seq ?? 0;
  let prev: Buffer = Buffer.from(head?.hash ?? GENESIS_HASH);
  return entries.map((entry) => {
    const hash = entryHash(prev, entry);
    const link = { seq: ++seq, prevHash: prev, hash };
    prev = hash;
    return link;
  });
}
