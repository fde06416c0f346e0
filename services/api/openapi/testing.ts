// Test support: the routes an api build really registered, read from Fastify's own router (not from
// the OpenAPI plugin, so that the two can be checked against each other), and the document it serves.
import type { FastifyInstance } from 'fastify';
import { createTestCa, createTestLogger, staticIdentity } from '#lib/http/testing.ts';
import { buildApi } from '../server.ts';
import type { OpenApiDocument } from './document.ts';
import { OPENAPI_PATH } from './openapi.ts';

export type RegisteredRoute = { method: string; path: string };

/**
 * Every method and path in `app`'s router, from `printRoutes({ commonPrefix: false })`, whose lines
 * look like `│   ├── /refunds/:refundId (GET, HEAD)`: four columns per level of the tree.
 */
export function listRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    if (line.trim() === '') continue;
    const branch = Math.max(line.indexOf('├── '), line.indexOf('└── '));
    const rest = line.slice(branch + 4);
    const space = rest.indexOf(' ');
    const segment = space < 0 ? rest : rest.slice(0, space);
    // A node that only joins its children has no methods; anything else after the segment is unexpected.
    const methods = space < 0 ? [] : /^\(([A-Z, ]+)\)$/.exec(rest.slice(space + 1))?.[1]?.split(', ');
    if (branch < 0 || branch % 4 !== 0 || !/^[│ ]*$/.test(line.slice(0, branch)) || segment === '' || methods === undefined) {
      throw new Error(`unreadable route line: ${JSON.stringify(line)}`);
    }
    if (segment.includes('*')) throw new Error(`wildcard route ${segment}: list it by hand`);
    stack.length = branch / 4;
    stack.push(segment);
    for (const method of methods) routes.push({ method, path: stack.join('') });
  }
  return routes;
}

/** Builds the api (without listening) on `databaseUrl`; returns its public routes and its document. */
export async function inspectApi(databaseUrl: string): Promise<{ routes: RegisteredRoute[]; document: OpenApiDocument; openapiStatus: number }> {
  const ca = await createTestCa();
  const log = createTestLogger('api');
  const identities = { internal: await staticIdentity(ca, 'api'), public: await staticIdentity(ca, 'api'), stop() {} };
  // Peers are never called: nothing listens or starts.
  const api = await buildApi({ config: { databaseUrl, peers: { vault: 'https://127.0.0.1:9', kms: 'https://127.0.0.1:9' } }, logger: log.logger, identities });
  try {
    await api.publicApp.ready();
    const response = await api.publicApp.inject({ method: 'GET', url: OPENAPI_PATH });
    return { routes: listRoutes(api.publicApp), document: response.json() as OpenApiDocument, openapiStatus: response.statusCode };
  } finally {
    await api.close();
    log.cleanup();
  }
}
