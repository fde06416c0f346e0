// Static pages of the dashboard, served with a strict Content-Security-Policy (no inline script).
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

export const PAGE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

export async function pageRoutes(app: FastifyInstance) {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file beside this module, not input
  const index = await readFile(new URL('./index.html', import.meta.url), 'utf8');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file beside this module, not input
  const css = await readFile(new URL('./dashboard.css', import.meta.url), 'utf8');
  app.get('/', async (_request, reply) => {
    reply.header('content-security-policy', PAGE_CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8');
    return index;
  });
  app.get('/assets/dashboard.css', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300').type('text/css; charset=utf-8');
    return css;
  });
}
