// Words shared by the auth pages: how long to wait, said the same way whatever the reason.
import type { FastifyReply } from 'fastify';

export function waitWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** 429 with Retry-After; the same message for a locked account, a throttled one and an unknown one. */
export function tooManyAttempts(reply: FastifyReply, retryAfterMs: number): string {
  reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return `Too many attempts. For your security, wait ${waitWords(retryAfterMs)} and try again.`;
}
