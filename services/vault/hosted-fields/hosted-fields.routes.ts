// Hosted card fields (PCI SAQ A): the static files a merchant checkout page needs to collect card data
// into the vault's origin. Public, unauthenticated, read once when the plugin registers.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

export const HOSTED_FIELDS_PREFIX = '/hosted/v1';

/**
 * The card frame may be framed by any HTTPS page (that is its purpose), runs only the vault's own
 * script and style, talks only to the vault (POST /tokens) and submits no form anywhere.
 */
export const CARD_FRAME_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors https:";

export const ASSET_CACHE_CONTROL = 'public, max-age=300';

type AssetSpec = {
  readonly contentType: string;
  /** Who may load it: merchant pages (`cross-origin`) or only the card frame itself (`same-origin`). */
  readonly resourcePolicy: 'cross-origin' | 'same-origin';
  /** Only the card frame page is shown in a merchant's iframe. */
  readonly frame: boolean;
};

export const HOSTED_FIELDS_ASSETS: Readonly<Record<string, AssetSpec>> = {
  // Loaded by the merchant page with <script src>, so from another origin.
  'strongroom.js': { contentType: 'text/javascript; charset=utf-8', resourcePolicy: 'cross-origin', frame: false },
  // Navigated to by the merchant's iframe; cross-origin too so pages with COEP require-corp can embed it.
  'card-frame.html': { contentType: 'text/html; charset=utf-8', resourcePolicy: 'cross-origin', frame: true },
  // Loaded only by the card frame, which is on the vault origin.
  'card-frame.js': { contentType: 'text/javascript; charset=utf-8', resourcePolicy: 'same-origin', frame: false },
  'card-frame.css': { contentType: 'text/css; charset=utf-8', resourcePolicy: 'same-origin', frame: false },
};

const ASSETS_DIR = new URL('./assets/', import.meta.url);

type LoadedAsset = { readonly name: string; readonly spec: AssetSpec; readonly body: Buffer; readonly etag: string };

async function loadAssets(): Promise<LoadedAsset[]> {
  return Promise.all(
    Object.entries(HOSTED_FIELDS_ASSETS).map(async ([name, spec]) => {
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- names come from the constant table above, never from a request
      const body = await readFile(new URL(name, ASSETS_DIR));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      return { name, spec, body, etag };
    }),
  );
}

// If-None-Match is a list of (possibly weak) tags or `*`; a weak match is enough for a GET.
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`;
  });
}

/** Fastify plugin: `app.register(hostedFieldsRoutes)` on the vault's public listener. */
export async function hostedFieldsRoutes(app: FastifyInstance): Promise<void> {
  const assets = await loadAssets();
  for (const { name, spec, body, etag } of assets) {
    app.get(`${HOSTED_FIELDS_PREFIX}/${name}`, async (request, reply) => {
      // The platform defaults (security-headers.ts) stay unless this asset needs otherwise.
      reply
        .header('cache-control', ASSET_CACHE_CONTROL)
        .header('cross-origin-resource-policy', spec.resourcePolicy)
        .header('etag', etag);
      if (spec.frame) {
        reply.removeHeader('x-frame-options');
        reply.header('content-security-policy', CARD_FRAME_CSP);
      }
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.type(spec.contentType).send(body);
    });
  }
}
