// Plugs mfa/ into the dashboard's page scope (after sessions, CSRF, views and error pages): the
// browser module that runs WebAuthn ceremonies and the @simplewebauthn/browser ES module it imports
// (served from node_modules, same origin: the CSP allows scripts from 'self' only), then the pages.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { MfaPageDeps } from './mfa-pages.ts';
import { passkeySignInRoutes } from './passkey-sign-in.routes.ts';
import { securityRoutes } from './security.routes.ts';
import { signInEnrolRoutes } from './sign-in-enrol.routes.ts';
import { signInFactorRoutes } from './sign-in-factor.routes.ts';
import { stepUpRoutes } from './step-up.routes.ts';

const MODULE_DIR = fileURLToPath(new URL('./assets/', import.meta.url));
// The package's ES module build (its `import` export), wherever the package is installed.
const VENDOR_DIR = fileURLToPath(new URL('./', import.meta.resolve('@simplewebauthn/browser')));

// Every file is routed at start (no wildcard): nothing outside these folders, and only scripts, is served.
const STATIC = { index: false, list: false, dotfiles: 'deny', serveDotFiles: false, cacheControl: true, maxAge: '5m', decorateReply: false, wildcard: false } as const;
const onlyScripts = (path: string) => path.endsWith('.js');

export async function registerMfaPages(scope: FastifyInstance, deps: MfaPageDeps & { db: Kysely<DashboardDatabase>; audit: Audit }): Promise<void> {
  await scope.register(fastifyStatic, { ...STATIC, root: MODULE_DIR, prefix: '/assets/mfa/', allowedPath: onlyScripts });
  await scope.register(fastifyStatic, { ...STATIC, root: VENDOR_DIR, prefix: '/assets/vendor/simplewebauthn/', allowedPath: onlyScripts });
  await scope.register(signInFactorRoutes, deps);
  await scope.register(signInEnrolRoutes, deps);
  await scope.register(passkeySignInRoutes, deps);
  await scope.register(stepUpRoutes, deps);
  await scope.register(securityRoutes, deps);
}
