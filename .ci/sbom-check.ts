// Checks the CycloneDX SBOM that `npm sbom --omit=dev` wrote: valid JSON, a CycloneDX document, a
// non-empty component list with names and versions, and every production dependency of package.json
// listed. A direct development dependency in the list is only noted: it is either a sign that --omit=dev
// did not work, or also a transitive production dependency, which the SBOM must then list.
// Usage: node .ci/sbom-check.ts <sbom.cdx.json> <package.json>
import { readFileSync } from 'node:fs';

const [sbomPath, packagePath] = process.argv.slice(2);
if (!sbomPath || !packagePath) {
  console.error('usage: sbom-check.ts <sbom.cdx.json> <package.json>');
  process.exit(2);
}

type Component = { name?: string; group?: string; version?: string; purl?: string };
const problems: string[] = [];
let bom: { bomFormat?: string; specVersion?: string; components?: Component[] } = {};
try {
  bom = JSON.parse(readFileSync(sbomPath, 'utf8')) as typeof bom;
} catch (error) {
  console.log(`sbom: FAIL, ${sbomPath} is not valid JSON (${(error as Error).message})`);
  process.exit(1);
}
const pkg = JSON.parse(readFileSync(packagePath, 'utf8')) as {
  dependencies?: Record<string, string>; devDependencies?: Record<string, string>;
};

if (bom.bomFormat !== 'CycloneDX') problems.push(`bomFormat is ${JSON.stringify(bom.bomFormat)}, not "CycloneDX"`);
const components = Array.isArray(bom.components) ? bom.components : [];
if (components.length === 0) problems.push('no components');
const nameOf = (c: Component) => (c.group ? `${c.group}/${c.name}` : (c.name ?? ''));
const names = new Set(components.map(nameOf));
const incomplete = components.filter((c) => !c.name || !c.version);
if (incomplete.length > 0) problems.push(`${incomplete.length} components without a name or version`);
const missing = Object.keys(pkg.dependencies ?? {}).filter((d) => !names.has(d));
if (missing.length > 0) problems.push(`production dependencies missing: ${missing.join(', ')}`);
const dev = Object.keys(pkg.devDependencies ?? {}).filter((d) => names.has(d) && !(d in (pkg.dependencies ?? {})));

if (problems.length > 0) {
  console.log(`sbom: FAIL, ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`sbom: CycloneDX ${bom.specVersion}, ${components.length} components, all ${Object.keys(pkg.dependencies ?? {}).length} production dependencies present`
  + (dev.length > 0 ? `; note: development dependencies also listed: ${dev.join(', ')}` : ', no development dependencies'));
